{{/* Names and labels shared by every object. */}}
{{- define "licensebot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "licensebot.fullname" -}}
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

{{- define "licensebot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "licensebot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "licensebot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "licensebot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The configuration file: the user's `config` with the store and Redis
settings the chart manages.
*/}}
{{- define "licensebot.config" -}}
{{- $redis := dict "prefix" .Values.redis.prefix }}
{{- with .Values.redis.url }}{{ $_ := set $redis "url" . }}{{ end }}
{{- if .Values.redis.sentinel.masterName }}
{{- $_ := set $redis "master_name" .Values.redis.sentinel.masterName }}
{{- $_ := set $redis "sentinel_addrs" .Values.redis.sentinel.addrs }}
{{- end }}
{{- with .Values.redis.cluster.addrs }}{{ $_ := set $redis "cluster_addrs" . }}{{ end }}
{{- $cfg := deepCopy .Values.config }}
{{- $_ := set $cfg "store" "redis" }}
{{- $_ := set $cfg "redis" $redis }}
{{- toYaml $cfg }}
{{- end }}
