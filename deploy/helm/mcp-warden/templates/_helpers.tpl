{{/* Labels on every object; selectors use app.kubernetes.io/name alone, as the kustomize base. */}}
{{- define "mcp-warden.labels" -}}
app.kubernetes.io/name: mcp-warden
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The image, pinned by digest (required: the webhook's own policy demands it). */}}
{{- define "mcp-warden.image" -}}
{{- $digest := required "image.digest is required: mcp-warden admits only images pinned by digest" .Values.image.digest -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" $digest) -}}
{{- fail (printf "image.digest %q is not sha256:<64 lowercase hex>" $digest) -}}
{{- end -}}
{{ .Values.image.repository }}{{ with .Values.image.tag }}:{{ . }}{{ end }}@{{ $digest }}
{{- end }}

{{/* Where exceptions are honoured from, as a JSON list: exceptionNamespaces, else the release's. */}}
{{- define "mcp-warden.exceptionNamespaces" -}}
{{- if .Values.exceptionNamespaces -}}
{{ toJson .Values.exceptionNamespaces }}
{{- else -}}
{{ toJson (list .Release.Namespace) }}
{{- end -}}
{{- end }}
