#!/usr/bin/env bash
# End-to-end test of ceap's SQS with the real aws CLI: the runbook's SQS commands as written, with
# only --endpoint-url (or `ceap aws`) and dummy credentials added. It builds ceap, starts
# `ceap serve` on a free port with a temporary data dir and --account-id 123456789 (the account
# in the runbook's queue URLs), and exits non-zero on the first result that is not as expected.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; if [ -f "$tmp/ceap.log" ]; then tail -20 "$tmp/ceap.log" >&2; fi; exit 1; }
expect() { # expect NAME GOT WANT
  if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; fi
  echo "ok: $1"
}

echo "building ceap"
(cd "$root" && go build -o "$tmp/ceap" ./cmd/ceap)
echo "built"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
endpoint="http://127.0.0.1:$port"
"$tmp/ceap" serve --listen "127.0.0.1:$port" --data "$tmp/data" --account-id 123456789 >"$tmp/ceap.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if curl -sf "$endpoint/_ceap/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -sf "$endpoint/_ceap/health" >/dev/null || fail "ceap did not become healthy"

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
# The aws CLI v1 ignores AWS_ENDPOINT_URL for sqs, so every command gets --endpoint-url.
aws() { command aws "$@" --endpoint-url "$endpoint"; }

QUEUE=https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue
DLQ=https://sqs.us-east-1.amazonaws.com/123456789/workflow-dlq

# Setup: the queue and its dead-letter queue (maxReceiveCount 3, as the runbook describes).
aws sqs create-queue --queue-name workflow-dlq >/dev/null
dlq_arn=$(aws sqs get-queue-attributes --queue-url "$DLQ" --attribute-names QueueArn --query 'Attributes.QueueArn' --output text)
expect "dlq arn" "$dlq_arn" "arn:aws:sqs:us-east-1:123456789:workflow-dlq"
policy="{\"deadLetterTargetArn\":\"$dlq_arn\",\"maxReceiveCount\":\"3\"}"
created=$(aws sqs create-queue --queue-name workflow-queue \
  --attributes "$(jq -cn --arg p "$policy" '{RedrivePolicy: $p, VisibilityTimeout: "30"}')" --query QueueUrl --output text)
expect "queue url" "$created" "$endpoint/123456789/workflow-queue"
expect "list-queues" "$(aws sqs list-queues --queue-name-prefix workflow --query 'length(QueueUrls)' --output text)" "2"

# send-message as in the runbook, then receive with the runbook's flags and delete by handle.
sent=$(aws sqs send-message \
  --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue \
  --message-body '{"fixed": "data"}' \
  --message-attributes '{"source":{"DataType":"String","StringValue":"runbook"}}')
expect "MD5OfMessageBody" "$(jq -r .MD5OfMessageBody <<<"$sent")" "$(printf '%s' '{"fixed": "data"}' | md5sum | cut -d' ' -f1)"
aws sqs receive-message \
  --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue \
  --max-number-of-messages 10 \
  --visibility-timeout 300 \
  --attribute-names All \
  --message-attribute-names All > "$tmp/messages.json"
expect "received count" "$(jq '.Messages | length' "$tmp/messages.json")" "1"
expect "received body" "$(jq -r '.Messages[0].Body' "$tmp/messages.json")" '{"fixed": "data"}'
expect "received id" "$(jq -r '.Messages[0].MessageId' "$tmp/messages.json")" "$(jq -r .MessageId <<<"$sent")"
expect "ApproximateReceiveCount" "$(jq -r '.Messages[0].Attributes.ApproximateReceiveCount' "$tmp/messages.json")" "1"
expect "SenderId" "$(jq -r '.Messages[0].Attributes.SenderId' "$tmp/messages.json")" "123456789"
expect "message attribute" "$(jq -r '.Messages[0].MessageAttributes.source.StringValue' "$tmp/messages.json")" "runbook"
expect "not visible" "$(aws sqs get-queue-attributes --queue-url "$QUEUE" --attribute-names ApproximateNumberOfMessagesNotVisible \
  --query 'Attributes.ApproximateNumberOfMessagesNotVisible' --output text)" "1"
receipt_handle=$(jq -r '.Messages[0].ReceiptHandle' "$tmp/messages.json")
aws sqs delete-message --queue-url "$QUEUE" --receipt-handle "$receipt_handle"
count=$(aws sqs get-queue-attributes \
  --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue \
  --attribute-names ApproximateNumberOfMessages \
  --query 'Attributes.ApproximateNumberOfMessages' --output text)
expect "ApproximateNumberOfMessages after delete" "$count" "0"

# A message that fails three times lands in the DLQ with its body.
aws sqs send-message --queue-url "$QUEUE" --message-body '{"order": 7}' >/dev/null
aws sqs send-message --queue-url "$QUEUE" --message-body 'not json at all' >/dev/null
for attempt in 1 2 3; do
  got=$(aws sqs receive-message --queue-url "$QUEUE" --max-number-of-messages 10 --visibility-timeout 0 --query 'length(Messages)' --output text)
  expect "failing attempt $attempt" "$got" "2"
done
# An empty answer prints nothing, so count with jq over whatever came.
expect "fourth receive moves to the DLQ" "$(aws sqs receive-message --queue-url "$QUEUE" --max-number-of-messages 10 | jq -s 'map(.Messages // [] | length) | add // 0')" "0"
expect "DLQ depth" "$(aws sqs get-queue-attributes \
  --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-dlq \
  --attribute-names ApproximateNumberOfMessages --query 'Attributes.ApproximateNumberOfMessages' --output text)" "2"
expect "dead-letter sources" "$(aws sqs list-dead-letter-source-queues --queue-url "$DLQ" --query 'queueUrls[0]' --output text)" "$endpoint/123456789/workflow-queue"

# The runbook's DLQ procedure: retrieve, analyse, reprocess valid bodies, delete the rest.
cd "$tmp"
aws sqs receive-message \
  --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-dlq \
  --max-number-of-messages 10 \
  --visibility-timeout 300 \
  --attribute-names All \
  --message-attribute-names All > dlq-messages.json
expect "dlq messages" "$(jq '.Messages | length' dlq-messages.json)" "2"
jq -r '.Messages[].Body' dlq-messages.json > message-bodies.txt
jq -r '.Messages[] | select(.Body | fromjson? | type == "object") | .Body' dlq-messages.json > valid-messages.txt
jq -r '.Messages[].ReceiptHandle' dlq-messages.json > receipt-handles.txt
expect "valid messages" "$(wc -l < valid-messages.txt | tr -d ' ')" "1"
while read -r message; do
  aws sqs send-message \
    --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue \
    --message-body "$message" >/dev/null
done < valid-messages.txt
while read -r receipt_handle; do
  aws sqs delete-message \
    --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-dlq \
    --receipt-handle "$receipt_handle"
done < receipt-handles.txt
expect "DLQ empty" "$(aws sqs get-queue-attributes --queue-url "$DLQ" --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
  --query '[Attributes.ApproximateNumberOfMessages, Attributes.ApproximateNumberOfMessagesNotVisible]' --output text | tr '\t' ' ')" "0 0"
expect "reprocessed body" "$(aws sqs receive-message --queue-url "$QUEUE" --visibility-timeout 0 --query 'Messages[0].Body' --output text)" '{"order": 7}'

# The drain loop (sleep 1 instead of 30) while a consumer empties the queue.
for i in 1 2 3 4 5; do aws sqs send-message --queue-url "$QUEUE" --message-body "work $i" >/dev/null; done
(
  sleep 2
  while :; do
    batch=$(aws sqs receive-message --queue-url "$QUEUE" --max-number-of-messages 10 | jq -c '[.Messages // [] | to_entries[] | {Id: "m\(.key)", ReceiptHandle: .value.ReceiptHandle}]' || echo '[]')
    if [ "$batch" = "[]" ] || [ -z "$batch" ]; then break; fi
    aws sqs delete-message-batch --queue-url "$QUEUE" --entries "$batch" >/dev/null
  done
) &
consumer=$!
waits=0
while true; do
  count=$(aws sqs get-queue-attributes \
    --queue-url https://sqs.us-east-1.amazonaws.com/123456789/workflow-queue \
    --attribute-names ApproximateNumberOfMessages \
    --query 'Attributes.ApproximateNumberOfMessages' --output text)

  if [ "$count" -eq 0 ]; then
    echo "Queue drained"
    break
  fi

  echo "Waiting for queue to drain... ($count messages remaining)"
  waits=$((waits + 1))
  if [ "$waits" -gt 60 ]; then fail "queue never drained"; fi
  sleep 1
done
wait "$consumer"
[ "$waits" -ge 1 ] || fail "the drain loop never saw messages waiting"
echo "ok: drain loop"

# The same through the ceap aws wrapper.
expect "ceap aws" "$(CEAP_ENDPOINT="$endpoint" "$tmp/ceap" aws sqs get-queue-url --queue-name workflow-queue --query QueueUrl --output text)" "$endpoint/123456789/workflow-queue"

# Bad input answers AWS's error and changes nothing.
if out=$(aws sqs receive-message --queue-url "$QUEUE" --max-number-of-messages 11 2>&1); then fail "MaxNumberOfMessages 11 accepted"; fi
grep -q "InvalidParameterValue" <<<"$out" || fail "MaxNumberOfMessages 11: $out"
if out=$(aws sqs get-queue-url --queue-name nope 2>&1); then fail "missing queue found"; fi
grep -q "NonExistentQueue" <<<"$out" || fail "missing queue: $out"
echo "ok: errors"
echo "PASS"
