{{/* The backup store: the artifact store unless backup.store names another (which survives losing it). */}}
{{- define "spark-standalone.backupStoreEnv" -}}
- name: BACKUP_S3_ENDPOINT_URL
  value: {{ .Values.backup.store.endpointUrl | quote }}
{{- with .Values.backup.store.existingSecret }}
- name: BACKUP_AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: access-key}
- name: BACKUP_AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ . }}, key: secret-key}
{{- end }}
- name: BACKUP_BUCKET
  value: {{ .Values.backup.bucket | quote }}
- name: BACKUP_PREFIX
  value: {{ .Values.backup.prefix | quote }}
- name: BACKUP_ARTIFACTS_PREFIX
  value: {{ .Values.backup.artifactsPrefix | quote }}
- name: ARTIFACT_BUCKET
  value: {{ .Values.mlflow.artifactBucket | quote }}
{{- end }}

{{/* Python lines both backup and restore start with: a client of each store, the layout of the backup bucket. */}}
{{- define "spark-standalone.backupStoreClients" -}}
import datetime, hashlib, json, os, sys, time
import boto3, botocore.exceptions
env = os.environ
artifacts = boto3.client("s3", endpoint_url=env.get("MLFLOW_S3_ENDPOINT_URL") or None)
store = boto3.client("s3", endpoint_url=env.get("BACKUP_S3_ENDPOINT_URL") or env.get("MLFLOW_S3_ENDPOINT_URL") or None,
                     aws_access_key_id=env.get("BACKUP_AWS_ACCESS_KEY_ID") or None,
                     aws_secret_access_key=env.get("BACKUP_AWS_SECRET_ACCESS_KEY") or None)
bucket, prefix = env["BACKUP_BUCKET"], env["BACKUP_PREFIX"].strip("/")
mirror = env["BACKUP_ARTIFACTS_PREFIX"].strip("/")
artifact_bucket = env["ARTIFACT_BUCKET"]

def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

def keys_under(client, name, under=""):
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=under)
    return {item["Key"]: item for page in pages for item in page.get("Contents", [])}

def ensure_bucket(client, name):
    """Wait until the store answers (it may be starting with the release), then make the bucket if missing."""
    for attempt in range(100):
        try:
            client.head_bucket(Bucket=name)
            return
        except botocore.exceptions.ClientError as answer:
            if answer.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
                raise
            region = env.get("AWS_DEFAULT_REGION") or "us-east-1"
            located = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            client.create_bucket(Bucket=name, **located)
            print("created the bucket", name)
            return
        except botocore.exceptions.EndpointConnectionError:
            print("waiting for the object store to answer"); time.sleep(3)
    sys.exit("the object store did not answer for 5 minutes")

def backups(keys):
    """The dated folders under the prefix, oldest first, and those with a manifest (finished)."""
    folders = sorted({key[len(prefix) + 1:].split("/")[0] for key in keys})
    return folders, [f for f in folders if "%s/%s/manifest.json" % (prefix, f) in keys]
{{- end }}

{{/* The PostgreSQL image whose pg_dump and pg_restore read and write the dumps: backup.image, else the chart's. */}}
{{- define "spark-standalone.dumpImage" -}}
{{- ternary (include "spark-standalone.image" .Values.backup.image) (include "spark-standalone.image" .Values.mlflow.postgresql.image) (not (empty .Values.backup.image.repository)) }}
{{- end }}

{{- define "spark-standalone.dumpPullPolicy" -}}
{{- ternary .Values.backup.image.pullPolicy .Values.mlflow.postgresql.image.pullPolicy (not (empty .Values.backup.image.repository)) }}
{{- end }}

{{/* The pod of one backup, for the CronJob and the pre-upgrade Job: pg_dump of each database, pg_restore --list
     of each dump, then the upload (dumps, the artifact mirror, the manifest last) and the retention. */}}
{{- define "spark-standalone.backupPod" -}}
{{- $backup := .Values.backup }}
{{- $dumpImage := include "spark-standalone.dumpImage" . }}
{{- $dumpPullPolicy := include "spark-standalone.dumpPullPolicy" . }}
{{- $dumps := list (dict "name" "dump" "database" "$(MLFLOW_DB_NAME)" "file" "mlflow.dump") }}
{{- if .Values.mlflow.auth.enabled }}
{{- $dumps = append $dumps (dict "name" "dump-auth" "database" .Values.mlflow.auth.database "file" "auth.dump" "unlessMissing" true) }}
{{- end }}
metadata:
  labels:
    {{- include "spark-standalone.selectorLabels" (dict "root" . "component" "backup") | nindent 4 }}
  {{- with $backup.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  restartPolicy: Never
  {{- with include "spark-standalone.mlflowServiceAccount" . }}
  serviceAccountName: {{ . }}
  {{- end }}
  automountServiceAccountToken: false
  {{- include "spark-standalone.imagePullSecrets" . | nindent 2 }}
  securityContext:
    {{- include "spark-standalone.podSecurityContext" (dict "root" . "uid" .Values.mlflow.runAsUser) | nindent 4 }}
  {{- include "spark-standalone.placement" (dict "values" $backup "withAffinity" true) | nindent 2 }}
  # The dumps are written by a PostgreSQL image (the chart's, or backup.image of the server's major
  # version), uploaded by the MLflow image (python and boto3); the pod's /tmp carries them across.
  initContainers:
    {{- range $dumps }}
    - name: {{ .name }}
      image: {{ $dumpImage }}
      imagePullPolicy: {{ $dumpPullPolicy }}
      {{- if .unlessMissing }}
      # The users' database is made by the MLflow pod: an upgrade that turns auth on backs up before it exists.
      command: [sh, -c]
      args:
        - |
          found=`psql --host="$MLFLOW_DB_HOST" --port="$MLFLOW_DB_PORT" --username="$MLFLOW_DB_USER" --dbname="$MLFLOW_DB_NAME" -tAc "SELECT 1 FROM pg_database WHERE datname = '{{ .database }}'"`
          if [ "$found" != "1" ]; then echo "no database {{ .database }} yet: nothing of it to back up"; exit 0; fi
          exec pg_dump --format=custom --no-owner --host="$MLFLOW_DB_HOST" --port="$MLFLOW_DB_PORT" --username="$MLFLOW_DB_USER" --dbname={{ .database }} --file=/tmp/{{ .file }}
      {{- else }}
      command: [pg_dump]
      args:
        - --format=custom
        - --no-owner
        - --host=$(MLFLOW_DB_HOST)
        - --port=$(MLFLOW_DB_PORT)
        - --username=$(MLFLOW_DB_USER)
        - --dbname={{ .database }}
        - --file=/tmp/{{ .file }}
      {{- end }}
      env:
        {{- include "spark-standalone.dbEnv" $ | nindent 8 }}
        - name: PGPASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ include "spark-standalone.dbSecret" $ }}
              key: password
      securityContext:
        {{- include "spark-standalone.containerSecurityContext" $ | nindent 8 }}
      resources:
        {{- toYaml $backup.resources | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
    {{- end }}
    {{- range $dumps }}
    # A dump that pg_restore cannot read fails the Job here, before anything is uploaded.
    - name: verify-{{ .name }}
      image: {{ $dumpImage }}
      imagePullPolicy: {{ $dumpPullPolicy }}
      {{- if .unlessMissing }}
      command: [sh, -c, '[ ! -f /tmp/{{ .file }} ] || exec pg_restore --list --file=/tmp/{{ .file }}.list /tmp/{{ .file }}']
      {{- else }}
      command: [pg_restore]
      args: [--list, --file=/tmp/{{ .file }}.list, /tmp/{{ .file }}]
      {{- end }}
      securityContext:
        {{- include "spark-standalone.containerSecurityContext" $ | nindent 8 }}
      resources:
        {{- toYaml $backup.resources | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
    {{- end }}
  containers:
    - name: upload
      image: {{ include "spark-standalone.image" .Values.mlflow.image }}
      imagePullPolicy: {{ .Values.mlflow.image.pullPolicy }}
      command: [python, -c]
      args:
        - |
          {{- include "spark-standalone.backupStoreClients" . | nindent 10 }}
          with open("/tmp/mlflow.dump.list") as listing:
              if not any(" TABLE public alembic_version" in line for line in listing):
                  sys.exit("the MLflow database holds no MLflow schema (no alembic_version table): an empty database is not a backup, and none is written")
          ensure_bucket(store, bucket)
          encrypted = {"ServerSideEncryption": env["BACKUP_SSE"]} if env.get("BACKUP_SSE") else {}
          taken = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
          folder = "%s/%s" % (prefix, taken)
          files = {}
          for name in sorted(n for n in os.listdir("/tmp") if n.endswith(".dump")):
              path = os.path.join("/tmp", name)
              with open(path + ".list") as listing:  # what pg_restore --list read of it
                  entries = sum(1 for line in listing if line.strip() and not line.startswith(";"))
              files[name] = {"bytes": os.path.getsize(path), "sha256": sha256(path), "toc_entries": entries}
              store.upload_file(path, bucket, "%s/%s" % (folder, name), ExtraArgs=encrypted)
          # The artifacts, listed after the dumps (so every artifact a dumped run names is among them), are
          # mirrored incrementally: an object is copied when the index of the mirror has not seen it as it is.
          index_key = mirror + "/index.json"
          index = json.loads(store.get_object(Bucket=bucket, Key=index_key)["Body"].read()) if index_key in keys_under(store, bucket, index_key) else {}
          listing = {key: {"etag": item["ETag"], "bytes": item["Size"]} for key, item in keys_under(artifacts, artifact_bucket).items()}
          copied = unsaved = 0
          for key, seen in sorted(listing.items()):
              if index.get(key) != seen:
                  body = artifacts.get_object(Bucket=artifact_bucket, Key=key)["Body"]
                  store.upload_fileobj(body, bucket, "%s/objects/%s" % (mirror, key), ExtraArgs=encrypted)
                  index[key] = seen
                  copied, unsaved = copied + 1, unsaved + seen["bytes"]
                  if unsaved > 1 << 30:  # a first mirror of a large bucket keeps its progress if it is stopped
                      store.put_object(Bucket=bucket, Key=index_key, Body=json.dumps(index).encode(), **encrypted)
                      unsaved = 0
          store.put_object(Bucket=bucket, Key=index_key, Body=json.dumps(index).encode(), **encrypted)
          listed = json.dumps(listing, indent=0, sort_keys=True).encode()
          store.put_object(Bucket=bucket, Key=folder + "/artifacts.json", Body=listed, **encrypted)
          held = {"listing": "artifacts.json", "sha256": hashlib.sha256(listed).hexdigest(), "objects": len(listing),
                  "bytes": sum(seen["bytes"] for seen in listing.values()), "copied": copied}
          # The manifest goes last: a folder without one is unfinished and never counts as a good backup.
          manifest = json.dumps({"taken_at": taken, "files": files, "artifacts": held}, indent=1)
          store.put_object(Bucket=bucket, Key=folder + "/manifest.json", Body=manifest.encode(), **encrypted)
          print("BACKUP OK s3://%s/%s/ %s artifacts: %s" % (bucket, folder, json.dumps(files), json.dumps(held)))
          # Retention keeps the newest good backups, and drops unfinished folders older than the newest; the
          # mirror then keeps only the objects a kept backup lists.
          keys = keys_under(store, bucket, prefix + "/")
          folders, good = backups(keys)
          doomed = good[:-int(env["BACKUP_RETENTION"])] + [f for f in folders if f not in good and f < good[-1]]
          for old in sorted(doomed):
              for key in [k for k in keys if k.startswith("%s/%s/" % (prefix, old))]:
                  store.delete_object(Bucket=bucket, Key=key)
              print("deleted the older backup s3://%s/%s/%s/" % (bucket, prefix, old))
          if doomed:
              wanted = set(listing)
              for kept in [f for f in good if f not in doomed and "%s/%s/artifacts.json" % (prefix, f) in keys]:
                  wanted.update(json.loads(store.get_object(Bucket=bucket, Key="%s/%s/artifacts.json" % (prefix, kept))["Body"].read()))
              for key in sorted(set(index) - wanted):
                  store.delete_object(Bucket=bucket, Key="%s/objects/%s" % (mirror, key))
                  del index[key]
              store.put_object(Bucket=bucket, Key=index_key, Body=json.dumps(index).encode(), **encrypted)
      env:
        {{- include "spark-standalone.s3Env" . | nindent 8 }}
        {{- include "spark-standalone.backupStoreEnv" . | nindent 8 }}
        - name: BACKUP_RETENTION
          value: {{ $backup.retention | quote }}
        - name: BACKUP_SSE
          value: {{ $backup.serverSideEncryption | quote }}
        - name: HOME
          value: /tmp
      securityContext:
        {{- include "spark-standalone.containerSecurityContext" . | nindent 8 }}
      resources:
        {{- toYaml $backup.resources | nindent 8 }}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
        {{- include "spark-standalone.s3CaMount" . | nindent 8 }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- include "spark-standalone.s3CaVolume" . | nindent 4 }}
{{- end }}

{{/* What a backup or a restore refuses, whichever Job runs it */}}
{{- define "spark-standalone.backupChecks" -}}
{{- if not .Values.mlflow.enabled }}
{{- fail "backup.enabled=true and restore.enabled=true are about MLflow's database: they need mlflow.enabled=true" }}
{{- end }}
{{- $dumps := printf "%s/" (trimAll "/" .Values.backup.prefix) }}
{{- $mirror := printf "%s/" (trimAll "/" .Values.backup.artifactsPrefix) }}
{{- if or (hasPrefix $dumps $mirror) (hasPrefix $mirror $dumps) }}
{{- fail "backup.artifactsPrefix and backup.prefix must not lie one under the other: the mirror would read as a backup (e.g. backups/artifacts and backups/mlflow)" }}
{{- end }}
{{- if and (eq .Values.backup.bucket .Values.mlflow.artifactBucket) (not .Values.backup.store.endpointUrl) }}
{{- fail "backup.bucket must not be the artifact bucket: MLflow's artifact proxy would serve the database dumps to its users (set another bucket)" }}
{{- end }}
{{- if and (not .Values.mlflow.postgresql.enabled) (not .Values.backup.image.repository) }}
{{- fail "backups of an external PostgreSQL need backup.image: a PostgreSQL image of the server's major version (pg_dump refuses a newer server)" }}
{{- end }}
{{- end }}
