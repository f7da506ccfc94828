#!/usr/bin/env bash
# TLS for the webhook without cert-manager: makes a CA and a serving certificate for the
# webhook's Service, stores them in the Secret mcp-warden-tls and puts the CA into the
# ValidatingWebhookConfiguration's caBundle. Run after `kubectl apply -k deploy/`; run again
# before the certificate expires (DAYS, default 365) — the webhook reloads it without restarting.
set -euo pipefail
NAMESPACE="${NAMESPACE:-mcp-warden-system}"
SERVICE="${SERVICE:-mcp-warden}"
DAYS="${DAYS:-365}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$DAYS" \
  -subj "/CN=mcp-warden CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=$SERVICE.$NAMESPACE.svc" -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
  "$SERVICE" "$NAMESPACE" "$SERVICE" "$NAMESPACE" > "$dir/ext.cnf"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days "$DAYS" -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null

kubectl -n "$NAMESPACE" create secret tls mcp-warden-tls --cert="$dir/tls.crt" --key="$dir/tls.key" \
  --dry-run=client -o yaml | kubectl apply -f -
# Both webhooks (workloads, bindings) call the same Service: each needs the CA, or the API server
# cannot verify it and, failing closed, denies what that webhook judges.
ca="$(base64 -w0 < "$dir/ca.crt")"
kubectl patch validatingwebhookconfiguration mcp-warden --type=json -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$ca\"},{\"op\":\"add\",\"path\":\"/webhooks/1/clientConfig/caBundle\",\"value\":\"$ca\"}]"
echo "mcp-warden TLS installed; label a namespace to enforce: kubectl label ns NAME mcp-warden.dev/enforce=true"
