#!/usr/bin/env bash
# The runbook's S3 commands, as written, with the real aws CLI against a running ceap.
# Usage: runbook_s3.sh http://127.0.0.1:4566
# Only the endpoint and dummy credentials are added. The runbook's lifecycle JSON says "Id",
# which the CLI itself rejects before sending; the corrected "ID" form is used (see README).
set -euo pipefail
endpoint=${1:?endpoint}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test} AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
aws() { command aws --endpoint-url "$endpoint" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

for b in workflow-bucket workflow-quarantine workflow-audit ceap-workflow-archive ceap-workflow-dev-123456789; do
  aws s3 mb "s3://$b" >/dev/null
done

# Stage outputs as the workflow writes them.
mkdir -p src/ETLStage src/FilterStage
echo '{"stage":"ETLStage","records":3}' > src/ETLStage/output.json
echo '{"stage":"FilterStage","kept":2}' > src/FilterStage/output.json
head -c 9000000 /dev/urandom > src/ETLStage/large.bin   # multipart through the CLI
aws s3 cp src/ s3://workflow-bucket/executions/execution-id/ --recursive --only-show-errors
aws s3 cp src/ s3://ceap-workflow-dev-123456789/executions/important-execution-id/ --recursive --only-show-errors

# Failure investigation: download the intermediate outputs.
aws s3 cp s3://workflow-bucket/executions/execution-id/ ./debug/ --recursive --only-show-errors
diff -r src debug || fail "downloaded outputs differ"

# DLQ archive.
printf 'bad message 1\nbad message 2\n' > invalid-messages.txt
aws s3 cp invalid-messages.txt "s3://workflow-audit/dlq/$(date +%Y-%m-%d)/" --only-show-errors
aws s3 ls "s3://workflow-audit/dlq/$(date +%Y-%m-%d)/" | grep -q invalid-messages.txt || fail "archived DLQ file missing"

# Lifecycle: verify, list old objects, raise retention, disable.
aws s3api put-bucket-lifecycle-configuration --bucket ceap-workflow-dev-123456789 --lifecycle-configuration '{
  "Rules": [{"ID": "DeleteOldExecutions", "Status": "Enabled", "Prefix": "executions/", "Expiration": {"Days": 7}}]}' >/dev/null
aws s3api get-bucket-lifecycle-configuration --bucket ceap-workflow-dev-123456789 > lc.json
grep -q '"Days": 7' lc.json && grep -q '"ID": "DeleteOldExecutions"' lc.json || fail "lifecycle not stored: $(cat lc.json)"
aws s3 ls s3://ceap-workflow-dev-123456789/executions/ --recursive | \
  awk -v date="$(date -d '7 days ago' +%Y-%m-%d)" '$1 < date {print}' > old.txt
[ ! -s old.txt ] || fail "fresh objects listed as older than 7 days"
aws s3api put-bucket-lifecycle-configuration \
  --bucket ceap-workflow-dev-123456789 \
  --lifecycle-configuration '{
    "Rules": [
      {
        "ID": "DeleteOldExecutions",
        "Status": "Enabled",
        "Prefix": "executions/",
        "Expiration": {
          "Days": 14
        }
      }
    ]
  }' >/dev/null
aws s3api get-bucket-lifecycle-configuration --bucket ceap-workflow-dev-123456789 | grep -q '"Days": 14' || fail "retention not raised"
aws s3api put-bucket-lifecycle-configuration \
  --bucket ceap-workflow-dev-123456789 \
  --lifecycle-configuration '{"Rules": [{"ID": "DeleteOldExecutions", "Status": "Disabled", "Prefix": "executions/", "Expiration": {"Days": 7}}]}' >/dev/null
aws s3api get-bucket-lifecycle-configuration --bucket ceap-workflow-dev-123456789 | grep -q '"Status": "Disabled"' || fail "rule not disabled"
if aws s3api put-bucket-lifecycle-configuration --bucket ceap-workflow-dev-123456789 \
  --lifecycle-configuration '{"Rules": [{"Id": "DeleteOldExecutions", "Status": "Enabled", "Prefix": "executions/", "Expiration": {"Days": 14}}]}' 2>/dev/null; then
  fail "the CLI accepted Id"
fi

# Archive an execution's data and tag it for long-term retention.
aws s3 cp s3://ceap-workflow-dev-123456789/executions/important-execution-id/ \
  s3://ceap-workflow-archive/executions/important-execution-id/ \
  --recursive --only-show-errors
aws s3api put-object-tagging \
  --bucket ceap-workflow-archive \
  --key executions/important-execution-id/ETLStage/output.json \
  --tagging 'TagSet=[{Key=Retention,Value=LongTerm}]'
aws s3api get-object-tagging --bucket ceap-workflow-archive --key executions/important-execution-id/ETLStage/output.json | grep -q LongTerm || fail "tag missing"

# Quarantine corrupted data.
aws s3 mv s3://workflow-bucket/executions/execution-id/ \
  s3://workflow-quarantine/executions/execution-id/ \
  --recursive --only-show-errors
[ -z "$(aws s3 ls s3://workflow-bucket/executions/execution-id/ --recursive)" ] || fail "source not empty after mv"
aws s3 cp s3://workflow-quarantine/executions/execution-id/ ./quarantined/ --recursive --only-show-errors
diff -r src quarantined || fail "quarantined data differs"

# Storage check.
summary=$(aws s3 ls s3://workflow-quarantine/executions/ --recursive --summarize)
echo "$summary" | grep -q "Total Objects: 3" || fail "summary: $summary"
echo "$summary" | grep -q "Total Size: $(( $(stat -c %s src/ETLStage/large.bin) + $(stat -c %s src/ETLStage/output.json) + $(stat -c %s src/FilterStage/output.json) ))" || fail "summary size: $summary"

# Presigned download and cleanup.
url=$(aws s3 presign s3://ceap-workflow-archive/executions/important-execution-id/ETLStage/output.json)
curl -sf "$url" | grep -q '"ETLStage"' || fail "presigned URL"
aws s3 rm s3://workflow-quarantine/executions/ --recursive --only-show-errors
aws s3 rb s3://workflow-quarantine
echo "runbook S3 commands: OK"
