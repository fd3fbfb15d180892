{{/* Pieces every Spark pod shares: the init container that writes spark-defaults.conf (ConfigMap + secrets),
     the volumes, and the environment. Call with the root context. */}}
{{- define "spark-standalone.sparkInitContainers" -}}
- name: spark-conf
  image: {{ include "spark-standalone.sparkImage" . }}
  imagePullPolicy: {{ .Values.spark.image.pullPolicy }}
  command: [sh, -c]
  args:
    - |
      cp /etc/spark/defaults/spark-defaults.conf /etc/spark/conf/spark-defaults.conf
      {{- if eq .Values.mode "iceberg" }}
      # The password reaches the shell as a variable, never as script text: any character in it stays data.
      printf 'spark.sql.catalog.{{ .Values.spark.iceberg.catalogName }}.jdbc.password %s\n' "$MLFLOW_DB_PASSWORD" >> /etc/spark/conf/spark-defaults.conf
      {{- end }}
      {{- if include "spark-standalone.sparkAuthSecret" . }}
      printf 'spark.authenticate.secret %s\n' "$SPARK_AUTH_SECRET" >> /etc/spark/conf/spark-defaults.conf
      {{- end }}
      {{- if include "spark-standalone.kubernetesScheduler" . }}
      # Executors and their ConfigMaps are owned by the driver's pod, so they go when it goes.
      printf 'spark.kubernetes.driver.pod.name %s\n' "$POD_NAME" >> /etc/spark/conf/spark-defaults.conf
      {{- end }}
  {{- if or (eq .Values.mode "iceberg") (include "spark-standalone.kubernetesScheduler" .) (include "spark-standalone.sparkAuthSecret" .) }}
  env:
    {{- if eq .Values.mode "iceberg" }}
    {{- include "spark-standalone.dbEnv" . | nindent 4 }}
    {{- end }}
    {{- with include "spark-standalone.sparkAuthSecret" . }}
    - name: SPARK_AUTH_SECRET
      valueFrom:
        secretKeyRef: {name: {{ . }}, key: secret}
    {{- end }}
    {{- if include "spark-standalone.kubernetesScheduler" . }}
    - name: POD_NAME
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    {{- end }}
  {{- end }}
  securityContext:
    {{- include "spark-standalone.containerSecurityContext" . | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {memory: 64Mi}
  volumeMounts:
    - {name: spark-defaults, mountPath: /etc/spark/defaults}
    - {name: spark-conf, mountPath: /etc/spark/conf}
{{- end }}

{{- define "spark-standalone.sparkEnv" -}}
- name: SPARK_CONF_DIR
  value: /etc/spark/conf
- name: SPARK_DAEMON_MEMORY
  value: {{ .Values.spark.daemonMemory | quote }}
- name: SPARK_NO_DAEMONIZE
  value: "true"
- name: HOME
  value: /tmp
{{- if .Values.mlflow.enabled }}
- name: MLFLOW_TRACKING_URI
  value: {{ include "spark-standalone.mlflowUrl" . | quote }}
{{- end }}
{{- include "spark-standalone.mlflowCaEnv" . }}
{{- if eq .Values.mode "iceberg" }}
{{ include "spark-standalone.s3Env" . }}
{{- end }}
{{- with .Values.spark.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "spark-standalone.sparkVolumeMounts" -}}
- {name: spark-conf, mountPath: /etc/spark/conf, readOnly: true}
- {name: work, mountPath: /opt/spark/work}
# The image's WORKDIR: SparkFiles, Connect's artifacts and a relative spark-warehouse land here.
- {name: work-dir, mountPath: /opt/spark/work-dir}
- {name: tmp, mountPath: /tmp}
{{- if include "spark-standalone.kubernetesScheduler" . }}
- {name: spark-templates, mountPath: /etc/spark/templates, readOnly: true}
{{- end }}
{{- include "spark-standalone.mlflowCaMount" . }}
{{- if eq .Values.mode "iceberg" }}
{{- include "spark-standalone.s3CaMount" . }}
{{- end }}
{{- with .Values.spark.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "spark-standalone.sparkVolumes" -}}
- name: spark-defaults
  configMap:
    name: {{ include "spark-standalone.fullname" . }}-spark-conf
    items: [{key: spark-defaults.conf, path: spark-defaults.conf}]
{{- if include "spark-standalone.kubernetesScheduler" . }}
- name: spark-templates
  configMap:
    name: {{ include "spark-standalone.fullname" . }}-spark-conf
    items: [{key: executor-pod.yaml, path: executor-pod.yaml}]
{{- end }}
- name: spark-conf
  emptyDir: {medium: Memory}
- name: work
  emptyDir: {}
- name: work-dir
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- include "spark-standalone.mlflowCaVolume" . }}
{{- if eq .Values.mode "iceberg" }}
{{- include "spark-standalone.s3CaVolume" . }}
{{- end }}
{{- with .Values.spark.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
