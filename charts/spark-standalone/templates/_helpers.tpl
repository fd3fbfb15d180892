{{/* Names and labels */}}
{{- define "spark-standalone.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spark-standalone.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "spark-standalone.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "spark-standalone.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "spark-standalone.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "spark-standalone.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Values.spark.version | quote }}
spark-standalone/mode: {{ .Values.mode }}
{{- end }}

{{/* selectorLabels: call with (dict "root" $ "component" "mlflow") */}}
{{- define "spark-standalone.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spark-standalone.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* What each mode renders */}}
{{- define "spark-standalone.standaloneCluster" -}}
{{- if has .Values.mode (list "standalone-submit" "connect-standalone" "gpu" "iceberg") }}true{{ end }}
{{- end }}
{{- define "spark-standalone.connect" -}}
{{- if has .Values.mode (list "connect-standalone" "connect-k8s") }}true{{ end }}
{{- end }}
{{- define "spark-standalone.kubernetesScheduler" -}}
{{- if has .Values.mode (list "k8s" "connect-k8s") }}true{{ end }}
{{- end }}

{{/* "repository:tag" of an image value ({repository, tag, pullPolicy}, the one shape every image has) */}}
{{- define "spark-standalone.image" -}}
{{- printf "%s:%s" .repository (toString .tag) }}
{{- end }}

{{- define "spark-standalone.sparkImage" -}}
{{- $tag := .Values.spark.image.tag | default (index .Values.spark.imageTags .Values.spark.version) }}
{{- if not $tag }}
{{- fail (printf "spark.version %q is not supported: set spark.version to one of 3.5.7, 3.5.8, 4.1.0, 4.1.1" .Values.spark.version) }}
{{- end }}
{{- include "spark-standalone.image" (dict "repository" .Values.spark.image.repository "tag" $tag) }}
{{- end }}

{{- define "spark-standalone.masterUrl" -}}
spark://{{ include "spark-standalone.fullname" . }}-master:{{ .Values.spark.master.port }}
{{- end }}

{{/* Database and object store endpoints and the Secrets that hold their credentials */}}
{{- define "spark-standalone.dbHost" -}}
{{- if .Values.mlflow.postgresql.enabled }}
{{- include "spark-standalone.fullname" . }}-postgresql
{{- else if .Values.mlflow.postgresql.host }}
{{- .Values.mlflow.postgresql.host }}
{{- else }}
{{- fail "mlflow.postgresql.enabled=false needs an external database: set mlflow.postgresql.host (and mlflow.postgresql.existingSecret with key password)" }}
{{- end }}
{{- end }}

{{- define "spark-standalone.dbSecret" -}}
{{- default (printf "%s-postgresql" (include "spark-standalone.fullname" .)) .Values.mlflow.postgresql.existingSecret }}
{{- end }}

{{- define "spark-standalone.s3Endpoint" -}}
{{- if .Values.minio.enabled }}
{{- printf "%s://%s-minio:9000" (ternary "https" "http" .Values.minio.tls.enabled) (include "spark-standalone.fullname" .) }}
{{- else if .Values.s3.endpoint }}
{{- .Values.s3.endpoint }}
{{- else }}
{{- fail "minio.enabled=false needs an external object store: set s3.endpoint (and s3.existingSecret with keys access-key and secret-key)" }}
{{- end }}
{{- end }}

{{- define "spark-standalone.s3Secret" -}}
{{- default (printf "%s-s3" (include "spark-standalone.fullname" .)) .Values.s3.existingSecret }}
{{- end }}

{{/* The Secret with the standalone cluster's spark.authenticate.secret (key "secret"); empty: none is used */}}
{{- define "spark-standalone.sparkAuthSecret" -}}
{{- if and .Values.spark.security.authenticate (include "spark-standalone.standaloneCluster" .) }}
{{- default (printf "%s-spark-auth" (include "spark-standalone.fullname" .)) .Values.spark.security.existingSecret }}
{{- end }}
{{- end }}

{{- define "spark-standalone.authSecret" -}}
{{- default (printf "%s-mlflow-auth" (include "spark-standalone.fullname" .)) .Values.mlflow.auth.existingSecret }}
{{- end }}

{{/* A generated secret value that survives upgrades: reuse the live Secret's key if there is one.
     Call with (dict "root" $ "secret" "name" "key" "password") */}}
{{- define "spark-standalone.keptSecretValue" -}}
{{- $live := lookup "v1" "Secret" .root.Release.Namespace .secret }}
{{- if and $live $live.data (hasKey $live.data .key) }}
{{- index $live.data .key }}
{{- else }}
{{- randAlphaNum 32 | b64enc }}
{{- end }}
{{- end }}

{{/* Security contexts: call with (dict "root" $ "uid" 185) */}}
{{- define "spark-standalone.podSecurityContext" -}}
{{- $ctx := deepCopy .root.Values.podSecurityContext }}
{{- $_ := set $ctx "runAsUser" (int .uid) }}
{{- $_ := set $ctx "runAsGroup" (int .uid) }}
{{- $_ := set $ctx "fsGroup" (int .uid) }}
{{- toYaml $ctx }}
{{- end }}

{{- define "spark-standalone.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* Environment every MLflow-side container uses to reach the database and the bucket */}}
{{- define "spark-standalone.dbEnv" -}}
- name: MLFLOW_DB_HOST
  value: {{ include "spark-standalone.dbHost" . | quote }}
- name: MLFLOW_DB_PORT
  value: {{ .Values.mlflow.postgresql.port | quote }}
- name: MLFLOW_DB_NAME
  value: {{ .Values.mlflow.postgresql.database | quote }}
- name: MLFLOW_DB_USER
  value: {{ .Values.mlflow.postgresql.username | quote }}
- name: MLFLOW_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "spark-standalone.dbSecret" . }}
      key: password
{{- end }}

{{- define "spark-standalone.s3Env" -}}
- name: MLFLOW_S3_ENDPOINT_URL
  value: {{ include "spark-standalone.s3Endpoint" . | quote }}
- name: AWS_DEFAULT_REGION
  value: {{ .Values.s3.region | quote }}
{{- if include "spark-standalone.s3CaSecret" . }}
- name: AWS_CA_BUNDLE
  value: /etc/s3-ca/ca.crt
{{- end }}
{{- if not .Values.s3.useIdentity }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ include "spark-standalone.s3Secret" . }}
      key: access-key
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "spark-standalone.s3Secret" . }}
      key: secret-key
{{- end }}
{{- end }}

{{/* The Secret whose ca.crt the object store's certificate chains to ("" when the store needs no private CA) */}}
{{- define "spark-standalone.s3CaSecret" -}}
{{- if and .Values.minio.enabled .Values.minio.tls.enabled }}
{{- include "spark-standalone.tlsSecret" (dict "root" . "component" "minio" "tls" .Values.minio.tls) }}
{{- else if not .Values.minio.enabled }}
{{- .Values.s3.caSecret }}
{{- end }}
{{- end }}

{{/* The volume and mount of that CA, for every pod that has spark-standalone.s3Env */}}
{{- define "spark-standalone.s3CaVolume" -}}
{{- with include "spark-standalone.s3CaSecret" . }}
- name: s3-ca
  secret:
    secretName: {{ . }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end }}
{{- end }}

{{- define "spark-standalone.s3CaMount" -}}
{{- if include "spark-standalone.s3CaSecret" . }}
- {name: s3-ca, mountPath: /etc/s3-ca, readOnly: true}
{{- end }}
{{- end }}

{{/* A component's serving certificate Secret: the user's, or the one cert-manager issues. Call with (dict
     "root" . "component" "mlflow"|"minio" "tls" <its tls values>). */}}
{{- define "spark-standalone.tlsSecret" -}}
{{- default (printf "%s-%s-%s" (include "spark-standalone.fullname" .root) .component (ternary "server-tls" "tls" (eq .component "mlflow"))) .tls.existingSecret }}
{{- end }}

{{/* The names a Service answers to inside the cluster, and localhost for a port-forward, for its certificate.
     Call with (dict "root" . "service" <name>). */}}
{{- define "spark-standalone.serviceDnsNames" -}}
{{- $ns := .root.Release.Namespace }}
{{- list .service (printf "%s.%s" .service $ns) (printf "%s.%s.svc" .service $ns) (printf "%s.%s.svc.cluster.local" .service $ns) "localhost" | toJson }}
{{- end }}

{{/* MLflow's clients in the cluster trust the CA of the replicas' certificate (mlflow.tls): MLflow's client reads
     MLFLOW_TRACKING_SERVER_CERT_PATH, the MLOps API too. Environment, volume and mount. */}}
{{- define "spark-standalone.mlflowCaEnv" -}}
{{- if and .Values.mlflow.enabled .Values.mlflow.tls.enabled }}
- name: MLFLOW_TRACKING_SERVER_CERT_PATH
  value: /etc/mlflow-ca/ca.crt
{{- end }}
{{- end }}

{{- define "spark-standalone.mlflowCaVolume" -}}
{{- if and .Values.mlflow.enabled .Values.mlflow.tls.enabled }}
- name: mlflow-ca
  secret:
    secretName: {{ include "spark-standalone.tlsSecret" (dict "root" . "component" "mlflow" "tls" .Values.mlflow.tls) }}
    items: [{key: ca.crt, path: ca.crt}]
{{- end }}
{{- end }}

{{- define "spark-standalone.mlflowCaMount" -}}
{{- if and .Values.mlflow.enabled .Values.mlflow.tls.enabled }}
- {name: mlflow-ca, mountPath: /etc/mlflow-ca, readOnly: true}
{{- end }}
{{- end }}

{{/* The ServiceAccount the pods that reach the bucket run as (empty: the namespace's default) */}}
{{- define "spark-standalone.mlflowServiceAccount" -}}
{{- if .Values.mlflow.serviceAccount.create }}
{{- default (printf "%s-mlflow" (include "spark-standalone.fullname" .)) .Values.mlflow.serviceAccount.name }}
{{- else }}
{{- .Values.mlflow.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Host names the MLflow server accepts: its Service in every spelling, localhost for port-forwards */}}
{{- define "spark-standalone.mlflowAllowedHosts" -}}
{{- $svc := printf "%s-mlflow" (include "spark-standalone.fullname" .) }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list "localhost" "localhost:*" "127.0.0.1" "127.0.0.1:*" $svc (printf "%s:*" $svc) (printf "%s.%s" $svc $ns) (printf "%s.%s:*" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc:*" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) (printf "%s.%s.svc.cluster.local:*" $svc $ns) }}
{{- if .Values.mlflow.ingress.enabled }}
{{- $hosts = append $hosts .Values.mlflow.ingress.host }}
{{- end }}
{{- if .Values.mlflow.metrics.enabled }}
{{- /* Prometheus scrapes a pod by its IP (Host: <pod-ip>:<port>): the private ranges pods get addresses from */}}
{{- $hosts = concat $hosts (list "10.*" "192.168.*" "172.1[6-9].*" "172.2[0-9].*" "172.3[01].*") }}
{{- end }}
{{- concat $hosts .Values.mlflow.allowedHosts | join "," }}
{{- end }}

{{/* Origins whose browsers may call the API: the Ingress host (the UI served through it) and extra ones */}}
{{- define "spark-standalone.mlflowCorsOrigins" -}}
{{- $origins := list }}
{{- if .Values.mlflow.ingress.enabled }}
{{- $origins = append $origins (printf "https://%s" .Values.mlflow.ingress.host) }}
{{- if not .Values.mlflow.ingress.tls.enabled }}
{{- $origins = append $origins (printf "http://%s" .Values.mlflow.ingress.host) }}
{{- end }}
{{- end }}
{{- concat $origins .Values.mlflow.corsAllowedOrigins | join "," }}
{{- end }}

{{/* Checks that give a clear message instead of a broken release */}}
{{- define "spark-standalone.validate" -}}
{{- $_ := include "spark-standalone.sparkImage" . }}
{{- $_ := include "spark-standalone.dbHost" . }}
{{- $_ := include "spark-standalone.s3Endpoint" . }}
{{- if and (not .Values.mlflow.postgresql.enabled) (not .Values.mlflow.postgresql.existingSecret) }}
{{- fail "an external database needs its password: set mlflow.postgresql.existingSecret (a Secret with key password)" }}
{{- end }}
{{- if and (not .Values.minio.enabled) (not .Values.s3.existingSecret) (not .Values.s3.useIdentity) }}
{{- fail "an external object store needs credentials: set s3.existingSecret (a Secret with keys access-key and secret-key), or s3.useIdentity=true with mlflow.serviceAccount carrying a cloud identity" }}
{{- end }}
{{- if and .Values.s3.useIdentity .Values.minio.enabled }}
{{- fail "s3.useIdentity=true is for a cloud object store: the chart's MinIO takes keys only (set minio.enabled=false and s3.endpoint)" }}
{{- end }}
{{- if and .Values.s3.useIdentity (eq .Values.mode "iceberg") }}
{{- fail "s3.useIdentity=true cannot serve mode iceberg: Spark's pods write the tables and have no cloud identity (give them keys with s3.existingSecret)" }}
{{- end }}
{{- if and .Values.mlflow.auth.enabled (not .Values.mlflow.auth.existingSecret) (lt (len .Values.mlflow.auth.adminPassword) 12) }}
{{- fail "mlflow.auth.enabled=true needs an admin password of at least 12 characters: set mlflow.auth.adminPassword or mlflow.auth.existingSecret (key admin-password)" }}
{{- end }}
{{- if and (eq .Values.mlflow.auth.mode "sso") (not .Values.mlflow.auth.enabled) }}
{{- fail "mlflow.auth.mode=sso needs mlflow.auth.enabled=true (single sign-on runs in MLflow's auth app)" }}
{{- end }}
{{- if and .Values.mlflow.auth.enabled (eq .Values.mlflow.auth.mode "sso") (or (not .Values.mlflow.auth.sso.issuer) (not .Values.mlflow.auth.sso.audience)) }}
{{- fail "mlflow.auth.mode=sso needs mlflow.auth.sso.issuer (e.g. https://<team>.cloudflareaccess.com) and mlflow.auth.sso.audience (the application's AUD tag or OIDC client id)" }}
{{- end }}
{{- if and .Values.mlflow.auth.enabled (eq .Values.mlflow.auth.mode "sso") (not (contains "@" .Values.mlflow.auth.adminUsername)) }}
{{- fail "mlflow.auth.mode=sso signs people in by email: set mlflow.auth.adminUsername to the admin's email" }}
{{- end }}
{{- if and .Values.mlops.enabled .Values.mlflow.auth.enabled (eq .Values.mlflow.auth.mode "sso") }}
{{- fail "the MLOps API logs in to MLflow with a password, which mlflow.auth.mode=sso does not take: use mode basic with mlops.enabled" }}
{{- end }}
{{- range $component, $tls := dict "mlflow" $.Values.mlflow.tls "minio" $.Values.minio.tls }}
{{- if and $tls.enabled (not $tls.existingSecret) (not $tls.certManager.enabled) }}
{{- fail (printf "%s.tls.enabled=true needs its certificate: set %s.tls.existingSecret (a Secret with tls.crt, tls.key and ca.crt) or %s.tls.certManager.enabled=true" $component $component $component) }}
{{- end }}
{{- if and $tls.enabled $tls.certManager.enabled (not $tls.certManager.issuerRef.name) }}
{{- fail (printf "%s.tls.certManager.enabled=true needs the issuer: set %s.tls.certManager.issuerRef.name (and kind Issuer or ClusterIssuer)" $component $component) }}
{{- end }}
{{- end }}
{{- if and .Values.mlflow.tls.enabled (regexMatch "--uvicorn-opts" (toJson .Values.mlflow.extraArgs)) }}
{{- fail "mlflow.tls.enabled=true gives the server --uvicorn-opts (its certificate), which a second --uvicorn-opts in mlflow.extraArgs would replace: leave it out of extraArgs" }}
{{- end }}
{{- if and .Values.minio.enabled .Values.minio.tls.enabled (eq .Values.mode "iceberg") }}
{{- fail "minio.tls.enabled=true cannot serve mode iceberg: Spark's S3A client trusts the JVM's CA store, not the chart's CA file (use another mode, or a store with a public certificate)" }}
{{- end }}
{{- if and .Values.mlflow.metrics.serviceMonitor.enabled (not .Values.mlflow.metrics.enabled) }}
{{- fail "mlflow.metrics.serviceMonitor.enabled=true needs mlflow.metrics.enabled=true (the server must expose /metrics)" }}
{{- end }}
{{- end }}

{{/* Pull secrets for every pod the chart runs */}}
{{- define "spark-standalone.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Where a pod may run: the workload's nodeSelector, tolerations (after the chart's own, e.g. the GPU taint)
     and affinity (unless the template sets its own default). Call with (dict "values" <workload values>
     "tolerations" <list or nil> "withAffinity" <bool>). */}}
{{- define "spark-standalone.placement" -}}
{{- $values := .values }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with concat (.tolerations | default list) ($values.tolerations | default list) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .withAffinity }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The path MLflow serves everything under (--static-prefix), "" when none: probes, scrapes and clients add it. */}}
{{- define "spark-standalone.mlflowPrefix" -}}
{{- with .Values.mlflow.staticPrefix }}{{ printf "/%s" (trimAll "/" .) }}{{ end }}
{{- end }}

{{/* An init container that waits until PostgreSQL accepts connections (mlflow.waitForDatabase) */}}
{{- define "spark-standalone.waitForDatabase" -}}
{{- if .Values.mlflow.waitForDatabase }}
- name: wait-for-database
  image: {{ include "spark-standalone.image" .Values.mlflow.postgresql.image }}
  imagePullPolicy: {{ .Values.mlflow.postgresql.image.pullPolicy }}
  command: [sh, -c, 'until pg_isready -h "$MLFLOW_DB_HOST" -p "$MLFLOW_DB_PORT" -t 2; do echo waiting for PostgreSQL; sleep 2; done']
  env:
    {{- include "spark-standalone.dbEnv" . | nindent 4 }}
  securityContext:
    {{- include "spark-standalone.containerSecurityContext" . | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {memory: 64Mi}
{{- end }}
{{- end }}

{{/* The MLflow server's URL inside the cluster (Service name, port, static prefix) */}}
{{- define "spark-standalone.mlflowUrl" -}}
{{- printf "%s://%s-mlflow:%v%s" (ternary "https" "http" .Values.mlflow.tls.enabled) (include "spark-standalone.fullname" .) .Values.mlflow.port (include "spark-standalone.mlflowPrefix" .) }}
{{- end }}

{{- define "spark-standalone.mlopsSecret" -}}
{{- default (printf "%s-mlops" (include "spark-standalone.fullname" .)) .Values.mlops.existingSecret }}
{{- end }}

{{- define "spark-standalone.mlopsImage" -}}
{{- include "spark-standalone.image" (dict "repository" .Values.mlops.image.repository "tag" (.Values.mlops.image.tag | default .Values.spark.version)) }}
{{- end }}

{{/* A memory size in MiB, from Spark's (512m, 2g) or Kubernetes' (1536Mi, 3Gi) spelling; k/m/g/t and their
     -i forms are all read as powers of 1024, which is what both mean for these checks. */}}
{{- define "spark-standalone.mebibytes" -}}
{{- $text := toString . }}
{{- $number := regexFind "^[0-9.]+" $text }}
{{- $unit := lower (trimPrefix $number $text) }}
{{- $factors := dict "k" 0.0009765625 "ki" 0.0009765625 "m" 1.0 "mi" 1.0 "g" 1024.0 "gi" 1024.0 "t" 1048576.0 "ti" 1048576.0 }}
{{- if or (not $number) (not (hasKey $factors $unit)) }}
{{- fail (printf "memory %q needs a number and a unit: k, m, g or t (Spark) or Ki, Mi, Gi, Ti (Kubernetes)" $text) }}
{{- end }}
{{- mulf (float64 $number) (index $factors $unit) }}
{{- end }}
