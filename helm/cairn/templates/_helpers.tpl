{{/*
Names
*/}}
{{- define "cairn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cairn.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cairn.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one service's objects. Context: dict "root" $ "name" <component>. */}}
{{- define "cairn.componentFullname" -}}
{{- printf "%s-%s" (include "cairn.fullname" .root | trunc 50 | trimSuffix "-") .name }}
{{- end }}

{{/*
Labels. Context: dict "root" $ and optionally "name" <component>.
*/}}
{{- define "cairn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cairn.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .name }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "cairn.labels" -}}
helm.sh/chart: {{ include "cairn.chart" .root }}
{{ include "cairn.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: cairn
{{- end }}

{{- define "cairn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cairn.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cairn.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
What each service is, and which dependencies it talks to. The one place
where the five services differ; everything else is shared below.
*/}}
{{- define "cairn.componentNames" -}}
- tracking
- artifacts
- registry
- serving
- gateway
{{- end }}

{{- define "cairn.componentSpecs" -}}
gateway:
  probe: http
  needs: [database, kafka, redis, admin]
tracking:
  probe: grpc
  needs: [database, kafka]
artifacts:
  probe: grpc
  needs: [s3, kafka]
registry:
  probe: grpc
  needs: [database, kafka]
serving:
  probe: grpc
  needs: [database, kafka]
{{- end }}

{{/*
HA dependencies: names and the endpoints the services use.
*/}}
{{- define "cairn.pgClusterName" -}}
{{- default (printf "%s-pg" (include "cairn.fullname" . | trunc 50 | trimSuffix "-")) .Values.ha.postgres.clusterName }}
{{- end }}

{{- define "cairn.kafkaClusterName" -}}
{{- default (printf "%s-kafka" (include "cairn.fullname" . | trunc 40 | trimSuffix "-")) .Values.ha.kafka.clusterName }}
{{- end }}

{{- define "cairn.kafkaBrokers" -}}
{{- if .Values.ha.kafka.enabled }}
{{- printf "%s-kafka-bootstrap:9092" (include "cairn.kafkaClusterName" .) }}
{{- else }}
{{- required "kafka.brokers is required unless ha.kafka.enabled" .Values.kafka.brokers }}
{{- end }}
{{- end }}

{{/*
secretKeyRef body for one entry of .Values.secrets.
Context: dict "root" $ "ref" <databaseUrl|redisUrl|s3AccessKey|s3SecretKey|adminPassword>.
*/}}
{{- define "cairn.secretKeyRef" -}}
{{- $ref := index .root.Values.secrets .ref }}
name: {{ default .root.Values.secrets.existingSecret $ref.name | required (printf "secrets.%s.name or secrets.existingSecret is required" .ref) | quote }}
key: {{ $ref.key | quote }}
{{- end }}

{{/* CAIRN_DATABASE_URL: the CloudNativePG app Secret when HA, else the named Secret. */}}
{{- define "cairn.databaseUrlEnv" -}}
- name: CAIRN_DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if .Values.ha.postgres.enabled }}
      name: {{ printf "%s-app" (include "cairn.pgClusterName" .) | quote }}
      key: uri
{{- else }}
      {{- include "cairn.secretKeyRef" (dict "root" . "ref" "databaseUrl") | trim | nindent 6 }}
{{- end }}
{{- end }}

{{/*
Secret environment of one service. Context: dict "root" $ "name" <component>.
*/}}
{{- define "cairn.secretEnv" -}}
{{- $spec := index (include "cairn.componentSpecs" .root | fromYaml) .name }}
{{- if has "database" $spec.needs }}
{{ include "cairn.databaseUrlEnv" .root }}
{{- end }}
{{- if has "redis" $spec.needs }}
- name: CAIRN_REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- include "cairn.secretKeyRef" (dict "root" .root "ref" "redisUrl") | trim | nindent 6 }}
{{- end }}
{{- if has "s3" $spec.needs }}
- name: CAIRN_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      {{- include "cairn.secretKeyRef" (dict "root" .root "ref" "s3AccessKey") | trim | nindent 6 }}
- name: CAIRN_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      {{- include "cairn.secretKeyRef" (dict "root" .root "ref" "s3SecretKey") | trim | nindent 6 }}
{{- end }}
{{- if and (has "admin" $spec.needs) .root.Values.auth.enabled }}
- name: CAIRN_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      {{- include "cairn.secretKeyRef" (dict "root" .root "ref" "adminPassword") | trim | nindent 6 }}
- name: CAIRN_SECRET_KEY
  valueFrom:
    secretKeyRef:
      {{- include "cairn.secretKeyRef" (dict "root" .root "ref" "secretKey") | trim | nindent 6 }}
{{- end }}
{{- end }}

{{/*
Non-secret environment of one service, as ConfigMap data.
Context: dict "root" $ "name" <component>.
*/}}
{{- define "cairn.componentConfig" -}}
{{- $root := .root }}
{{- $values := index $root.Values .name }}
{{- $spec := index (include "cairn.componentSpecs" $root | fromYaml) .name }}
{{- $env := dict "CAIRN_MODE" "distributed" "CAIRN_LOG_LEVEL" $root.Values.logLevel }}
{{- if has "kafka" $spec.needs }}
{{- $_ := set $env "CAIRN_KAFKA_BROKERS" (include "cairn.kafkaBrokers" $root) }}
{{- end }}
{{- if eq $spec.probe "grpc" }}
{{- $_ := set $env "CAIRN_GRPC_LISTEN" (printf "0.0.0.0:%v" $values.port) }}
{{- end }}
{{- if has "s3" $spec.needs }}
{{- $_ := set $env "CAIRN_S3_ENDPOINT" $root.Values.s3.endpoint }}
{{- $_ := set $env "CAIRN_S3_BUCKET" $root.Values.s3.bucket }}
{{- $_ := set $env "CAIRN_S3_REGION" $root.Values.s3.region }}
{{- end }}
{{- if eq .name "gateway" }}
{{- $_ := set $env "CAIRN_HOST" "0.0.0.0" }}
{{- $_ := set $env "CAIRN_PORT" (toString $values.port) }}
{{- $_ := set $env "CAIRN_AUTH" (ternary "on" "off" $root.Values.auth.enabled) }}
{{- if $root.Values.auth.enabled }}
{{- $_ := set $env "CAIRN_ADMIN_USERNAME" $root.Values.auth.adminUsername }}
{{- end }}
{{- range $upstream := list "tracking" "artifacts" "registry" "serving" }}
{{- $url := printf "%s:%v" (include "cairn.componentFullname" (dict "root" $root "name" $upstream)) (index $root.Values $upstream).port }}
{{- $_ := set $env (printf "CAIRN_%s_GRPC_URL" (upper $upstream)) $url }}
{{- end }}
{{- end }}
{{- if eq .name "serving" }}
{{- $_ := set $env "CAIRN_SERVING_PORT" (toString $values.httpPort) }}
{{- end }}
{{- range $k, $v := merge (deepCopy (default (dict) $values.config)) (default (dict) $root.Values.extraConfig) $env }}
{{ $k }}: {{ toString $v | quote }}
{{- end }}
{{- end }}

{{- define "cairn.podAntiAffinity" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "cairn.selectorLabels" . | nindent 12 }}
    - weight: 50
      podAffinityTerm:
        topologyKey: topology.kubernetes.io/zone
        labelSelector:
          matchLabels:
            {{- include "cairn.selectorLabels" . | nindent 12 }}
{{- end }}

{{/* Probes. Context: dict "root" $ "name" <component>. */}}
{{- define "cairn.probes" -}}
{{- $values := index .root.Values .name }}
{{- $spec := index (include "cairn.componentSpecs" .root | fromYaml) .name }}
{{- $action := "" }}
{{- if eq $spec.probe "http" }}
{{- $action = "httpGet:\n  path: /health\n  port: http" }}
{{- else }}
{{- $action = printf "grpc:\n  port: %v" $values.port }}
{{- end }}
startupProbe:
  {{- $action | nindent 2 }}
  periodSeconds: 2
  timeoutSeconds: 2
  failureThreshold: 90
readinessProbe:
  {{- $action | nindent 2 }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
livenessProbe:
  {{- $action | nindent 2 }}
  periodSeconds: 20
  timeoutSeconds: 5
  failureThreshold: 3
{{- end }}

{{/* The writable scratch space every pod gets (the root filesystem is read-only). */}}
{{- define "cairn.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with . }}
    sizeLimit: {{ . }}
    {{- end }}
{{- end }}

{{/*
One service's Deployment. Context: dict "root" $ "name" <component>.
*/}}
{{- define "cairn.deployment" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $values := index $root.Values $name }}
{{- $spec := index (include "cairn.componentSpecs" $root | fromYaml) $name }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "cairn.componentFullname" . }}
  labels:
    {{- include "cairn.labels" . | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "cairn.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "cairn.labels" . | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "cairn.componentConfig" . | sha256sum }}
        {{- if and (eq $name "gateway") $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $values.port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "cairn.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ $name }}
          image: {{ include "cairn.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ printf "dist/services/%s/src/main.js" $name | quote }}]
          ports:
            - name: {{ $spec.probe }}
              containerPort: {{ $values.port }}
              protocol: TCP
            {{- if $values.httpPort }}
            - name: http
              containerPort: {{ $values.httpPort }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "cairn.componentFullname" . }}
          {{- $secretEnv := include "cairn.secretEnv" . | trim }}
          {{- if or $secretEnv $values.extraEnv }}
          env:
            {{- with $secretEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
          {{- include "cairn.probes" . | trim | nindent 10 }}
          {{- with $values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "cairn.tmpVolume" $values.tmpSizeLimit | nindent 8 }}
      affinity:
        {{- if $values.affinity }}
        {{- toYaml $values.affinity | nindent 8 }}
        {{- else }}
        {{- include "cairn.podAntiAffinity" . | nindent 8 }}
        {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
