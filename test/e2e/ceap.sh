#!/usr/bin/env bash
# End-to-end test of the CEAP deployment on ceap, with the real aws CLI: deploys both workflows
# with examples/ceap/deploy.sh --fast, then runs the runbook's paths — a message through the
# realtime workflow (five outputs, SUCCEEDED, counted by get-metric-statistics), the deployed alarms
# and dashboard (an alarm's notification reaching a subscribed queue), the express failure path to
# the DLQ, Logs Insights queries (the saved runbook queries) over the stage logs, the DLQ
# procedure, pause and resume of the pipe, the batch workflow with its Glue stage, a standard
# failure reported through the failure rule and topic, and redrive after the fix. Exits non-zero
# on the first result that is not as expected.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -30 "$tmp/ceap.log" >&2 || true; exit 1; }
ok() { echo "ok: $*"; }
# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND (which must print "yes") until it does.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  while [ $SECONDS -lt $deadline ]; do
    if [ "$("$@" 2>/dev/null || true)" = yes ]; then ok "$what"; return 0; fi
    sleep 1
  done
  fail "$what: not within ${secs}s"
}

(cd "$root" && go build -o "$tmp/ceap" ./cmd/ceap)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
E="http://127.0.0.1:$port"
"$tmp/ceap" serve --listen "127.0.0.1:$port" --data "$tmp/data" --account-id 123456789 --log-level warn >"$tmp/ceap.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "$E/_ceap/health" >/dev/null 2>&1 && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_DISABLE_HOST_PREFIX_INJECTION=true
unset AWS_PROFILE AWS_SESSION_TOKEN
aws() { command aws --endpoint-url "$E" "$@"; }
export CEAP_ENDPOINT=$E
bash "$root/examples/ceap/deploy.sh" realtime express --fast >"$tmp/deploy-realtime.log" 2>&1 || { cat "$tmp/deploy-realtime.log"; fail "deploy realtime"; }
ok "deployed realtime (express)"
bash "$root/examples/ceap/deploy.sh" batch standard --fast >"$tmp/deploy-batch.log" 2>&1 || { cat "$tmp/deploy-batch.log"; fail "deploy batch"; }
ok "deployed batch (standard)"

Q=https://sqs.us-east-1.amazonaws.com/123456789/ceap-workflow-realtime-queue
DLQ=https://sqs.us-east-1.amazonaws.com/123456789/ceap-workflow-realtime-dlq
SM=arn:aws:states:us-east-1:123456789:stateMachine:Ceap-realtime-Workflow
SB=arn:aws:states:us-east-1:123456789:stateMachine:Ceap-batch-Workflow
RB=s3://ceap-workflow-realtime-123456789
BB=s3://ceap-workflow-batch-123456789
today=$(date -u +%F)
msg='{"programId":"P-1","marketplace":"us","candidates":[{"customerId":"C1","subjectId":"S1","eventType":"purchase","eventTime":"'$today'","features":{"engagement":0.8}},{"customerId":"C2","subjectId":"S1","eventType":"view","eventTime":"'$today'","optedOut":true}]}'
# --- alarms and dashboard from the deploy; an alarm's notification reaches a subscribed queue -----
alarms=$(aws cloudwatch describe-alarms --query 'MetricAlarms[].AlarmName' --output text | tr '\t' '\n' | sort | tr '\n' ' ')
for a in Ceap-realtime-Workflow-ExecutionsFailed Ceap-realtime-Workflow-ExecutionTime ceap-workflow-realtime-dlq-messages \
  Ceap-batch-Workflow-ExecutionsFailed Ceap-batch-Workflow-ExecutionTime ceap-workflow-batch-dlq-messages; do
  case " $alarms " in *" $a "*) ;; *) fail "alarm $a missing (have: $alarms)" ;; esac
done
aws cloudwatch describe-alarms --alarm-names ceap-workflow-realtime-dlq-messages \
  | jq -e '.MetricAlarms[0] | .Namespace == "AWS/SQS" and .MetricName == "ApproximateNumberOfMessagesVisible" and .Statistic == "Average"
      and .Period == 300 and .Threshold == 1 and .ComparisonOperator == "GreaterThanThreshold" and .EvaluationPeriods == 1
      and .Dimensions == [{"Name": "QueueName", "Value": "ceap-workflow-realtime-dlq"}]
      and .AlarmActions == ["arn:aws:sns:us-east-1:123456789:ceap-ops-alerts"]' >/dev/null || fail "DLQ alarm configuration"
ok "the three alarms of each workflow exist with the runbook's settings"
aws cloudwatch get-dashboard --dashboard-name WorkflowMonitoring --query DashboardBody --output text \
  | jq -e '[.widgets[].properties.title] | (map(select(startswith("realtime: "))) | length) == 4 and (map(select(startswith("batch: "))) | length) == 4' >/dev/null \
  || fail "dashboard WorkflowMonitoring lacks a workflow's widgets"
ok "dashboard WorkflowMonitoring holds both workflows' widgets"
aws sqs create-queue --queue-name alarm-inbox >/dev/null
aws sns subscribe --topic-arn arn:aws:sns:us-east-1:123456789:ceap-ops-alerts --protocol sqs \
  --notification-endpoint arn:aws:sqs:us-east-1:123456789:alarm-inbox --attributes RawMessageDelivery=true >/dev/null
aws cloudwatch set-alarm-state --alarm-name ceap-workflow-realtime-dlq-messages --state-value ALARM --state-reason "e2e: alarm action check"
wait_for "ALARM notification of the DLQ alarm delivered to the subscribed queue" 30 bash -c "command aws --endpoint-url $E sqs receive-message --queue-url https://sqs.us-east-1.amazonaws.com/123456789/alarm-inbox --wait-time-seconds 1 --query 'Messages[0].Body' --output text | jq -e 'select(.AlarmName == \"ceap-workflow-realtime-dlq-messages\" and .NewStateValue == \"ALARM\")' >/dev/null && echo yes"

count() { aws stepfunctions list-executions --state-machine-arn "$1" --status-filter "$2" --query 'length(executions)' --output text; }
depth() { aws sqs get-queue-attributes --queue-url "$1" --attribute-names ApproximateNumberOfMessages --query 'Attributes.ApproximateNumberOfMessages' --output text; }

# --- realtime: one message, five outputs, SUCCEEDED, message deleted -----------------------------
aws sqs send-message --queue-url "$Q" --message-body "$msg" >/dev/null
wait_for "realtime execution SUCCEEDED" 120 bash -c "[ \"\$(aws() { command aws --endpoint-url $E \"\$@\"; }; aws stepfunctions list-executions --state-machine-arn $SM --status-filter SUCCEEDED --query 'length(executions)' --output text)\" -ge 1 ] && echo yes"
name=$(aws stepfunctions list-executions --state-machine-arn "$SM" --status-filter SUCCEEDED --query 'executions[0].name' --output text)
outs=$(aws s3 ls "$RB/executions/$name/" --recursive | grep -c 'output.json' || true)
[ "$outs" = 5 ] || fail "realtime outputs under executions/$name: $outs, want 5"
ok "five stage outputs under executions/$name/"
aws s3 cp "$RB/results/P-1/$name.json" - | jq -e '.candidates | length >= 1' >/dev/null || fail "results/P-1/$name.json"
ok "results/P-1/$name.json written by the Store stage"
wait_for "realtime queue empty after success" 30 bash -c "[ \"\$(command aws --endpoint-url $E sqs get-queue-attributes --queue-url $Q --attribute-names ApproximateNumberOfMessages --query Attributes.ApproximateNumberOfMessages --output text)\" = 0 ] && echo yes"

wait_for "get-metric-statistics counts the realtime execution (AWS/States ExecutionsSucceeded)" 60 bash -c "[ \"\$(command aws --endpoint-url $E cloudwatch get-metric-statistics --namespace AWS/States --metric-name ExecutionsSucceeded --dimensions Name=StateMachineArn,Value=$SM --start-time \$(date -u -d '1 hour ago' +%FT%TZ) --end-time \$(date -u -d '1 hour' +%FT%TZ) --period 86400 --statistics Sum --query 'Datapoints[0].Sum' --output text)\" != None ] && echo yes"

# --- express failure: three FAILED executions, then the DLQ ---------------------------------------
aws sqs send-message --queue-url "$Q" --message-body '{"programId":"P-9","failAt":"ScoreTask"}' >/dev/null
wait_for "failing message moved to the DLQ after three receives" 180 bash -c "[ \"\$(command aws --endpoint-url $E sqs get-queue-attributes --queue-url $DLQ --attribute-names ApproximateNumberOfMessages --query Attributes.ApproximateNumberOfMessages --output text)\" = 1 ] && echo yes"
failed=$(count "$SM" FAILED)
[ "$failed" -ge 3 ] || fail "FAILED realtime executions: $failed, want 3"
farn=$(aws stepfunctions list-executions --state-machine-arn "$SM" --status-filter FAILED --max-results 10 --query 'executions[0].executionArn' --output text)
[ "$(aws stepfunctions describe-execution --execution-arn "$farn" --query error --output text)" = InjectedFailure ] || fail "failed execution's error"
aws stepfunctions get-execution-history --execution-arn "$farn" --max-results 100 | jq -e '[.events[] | select(.type=="TaskFailed")] | length >= 3' >/dev/null || fail "history lacks the retried TaskFailed events"
ok "each attempt FAILED with InjectedFailure after its retries"

# --- Logs Insights: the saved runbook queries over the stage functions' logs -----------------------
# insights QUERY GROUP...: runs QUERY over the last hour of the groups, polls until Complete and
# prints the rows as JSON objects.
insights() {
  local q=$1 id out st; shift
  id=$(aws logs start-query --log-group-names "$@" --start-time $(( $(date +%s) - 3600 )) --end-time $(( $(date +%s) + 60 )) \
    --query-string "$q" --query queryId --output text) || return 1
  for _ in $(seq 1 60); do
    out=$(aws logs get-query-results --query-id "$id")
    st=$(jq -r .status <<<"$out")
    case $st in
      Complete) jq -c '[.results[] | map({(.field): .value}) | add]' <<<"$out"; return 0 ;;
      Scheduled|Running) sleep 1 ;;
      *) echo "query $id ended $st" >&2; return 1 ;;
    esac
  done
  return 1
}
def=$(aws logs describe-query-definitions --query-definition-name-prefix CEAP/realtime/duration-by-stage --query 'queryDefinitions[0]')
mapfile -t stage_groups < <(jq -r '.logGroupNames[]' <<<"$def")
[ "${#stage_groups[@]}" = 5 ] || fail "saved query CEAP/realtime/duration-by-stage has ${#stage_groups[@]} log groups, want 5"
rows=$(insights "$(jq -r .queryString <<<"$def")" "${stage_groups[@]}") || fail "duration-by-stage query did not complete"
jq -e 'length == 5 and all(.[]; (.stage | length > 0) and (."avg(duration)" | tonumber >= 0) and has("max(duration)") and has("min(duration)"))' <<<"$rows" >/dev/null \
  || fail "duration-by-stage rows: $rows"
ok "saved query duration-by-stage: a row per stage ($(jq -r 'map(.stage) | join(", ")' <<<"$rows"))"
rows=$(insights $'fields @timestamp, executionId, stage, errorMessage\n| filter status = "FAILED"\n| sort @timestamp desc\n| limit 50' "${stage_groups[@]}") \
  || fail "failed-executions query did not complete"
jq -e 'length >= 1 and all(.[]; (.executionId | length > 0) and (.stage | length > 0))' <<<"$rows" >/dev/null || fail "failed-executions rows: $rows"
ok "runbook query Find Failed Executions: $(jq length <<<"$rows") failed stage runs"
err=$(aws logs start-query --log-group-names "${stage_groups[0]}" --start-time 0 --end-time 1 --query-string 'fields @message | filter' 2>&1 || true)
grep -q MalformedQueryException <<<"$err" || fail "a malformed query answered: $err"
ok "a malformed query answers MalformedQueryException"

# --- the runbook's DLQ procedure ---------------------------------------------------------------
aws sqs receive-message --queue-url "$DLQ" --max-number-of-messages 10 --visibility-timeout 300 \
  --attribute-names All --message-attribute-names All > "$tmp/dlq-messages.json"
jq -r '.Messages[].Body' "$tmp/dlq-messages.json" > "$tmp/message-bodies.txt"
grep -q failAt "$tmp/message-bodies.txt" || fail "DLQ message body"
[ "$(jq -r '.Messages[0].Attributes.ApproximateReceiveCount' "$tmp/dlq-messages.json")" -ge 3 ] || fail "receive count of the DLQ message"
aws s3 cp "$tmp/message-bodies.txt" "s3://ceap-workflow-realtime-123456789/dlq/$today/" >/dev/null
jq -r '.Messages[].ReceiptHandle' "$tmp/dlq-messages.json" > "$tmp/receipt-handles.txt"
while read -r h; do aws sqs delete-message --queue-url "$DLQ" --receipt-handle "$h"; done < "$tmp/receipt-handles.txt"
[ "$(depth "$DLQ")" = 0 ] || fail "DLQ not empty after delete"
ok "DLQ procedure: received with the runbook's flags, archived to S3, deleted by receipt handle"

# --- pause, drain and resume ----------------------------------------------------------------------
ROLE=arn:aws:iam::123456789:role/CeapWorkflow-realtime-PipeRole
aws pipes update-pipe --name ceap-workflow-realtime-pipe --desired-state STOPPED --role-arn "$ROLE" >/dev/null
wait_for "pipe STOPPED" 30 bash -c "[ \"\$(command aws --endpoint-url $E pipes describe-pipe --name ceap-workflow-realtime-pipe --query CurrentState --output text)\" = STOPPED ] && echo yes"
before=$(count "$SM" SUCCEEDED)
aws sqs send-message --queue-url "$Q" --message-body "$msg" >/dev/null
sleep 4
[ "$(depth "$Q")" = 1 ] || fail "a stopped pipe took a message"
ok "stopped pipe leaves the message on the queue"
aws pipes update-pipe --name ceap-workflow-realtime-pipe --desired-state RUNNING --role-arn "$ROLE" >/dev/null
wait_for "queue drained after the pipe is RUNNING again" 120 bash -c "[ \"\$(command aws --endpoint-url $E sqs get-queue-attributes --queue-url $Q --attribute-names ApproximateNumberOfMessages --query Attributes.ApproximateNumberOfMessages --output text)\" = 0 ] && echo yes"
wait_for "the resumed message ran" 60 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions list-executions --state-machine-arn $SM --status-filter SUCCEEDED --query 'length(executions)' --output text)\" -gt $before ] && echo yes"

# --- batch: the Glue stage too ------------------------------------------------------------------
aws stepfunctions start-execution --state-machine-arn "$SB" --name ok-1 --input "$msg" >/dev/null
wait_for "batch execution SUCCEEDED" 240 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions describe-execution --execution-arn ${SB/stateMachine/execution}:ok-1 --query status --output text)\" = SUCCEEDED ] && echo yes"
outs=$(aws s3 ls "$BB/executions/ok-1/" --recursive | grep -c 'output.json' || true)
[ "$outs" = 6 ] || fail "batch outputs: $outs, want 6 (with HeavyETLTask)"
aws s3 ls "$BB/executions/ok-1/HeavyETLTask/output.json" >/dev/null || fail "HeavyETLTask output"
ok "six outputs including the Glue job's"

# --- standard failure: failure rule -> topic -> subscribed queue; redrive after the fix ------------
aws sqs create-queue --queue-name ops-inbox >/dev/null
inbox=https://sqs.us-east-1.amazonaws.com/123456789/ops-inbox
aws sns subscribe --topic-arn arn:aws:sns:us-east-1:123456789:ceap-ops-alerts --protocol sqs \
  --notification-endpoint arn:aws:sqs:us-east-1:123456789:ops-inbox --attributes RawMessageDelivery=true >/dev/null
aws stepfunctions start-execution --state-machine-arn "$SB" --name run-1 --input '{"programId":"P-2","failAt":"StoreTask"}' >/dev/null
RUN=arn:aws:states:us-east-1:123456789:execution:Ceap-batch-Workflow:run-1
wait_for "batch run-1 FAILED" 240 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions describe-execution --execution-arn $RUN --query status --output text)\" = FAILED ] && echo yes"
wait_for "status-change event delivered to the ops queue" 60 bash -c "command aws --endpoint-url $E sqs receive-message --queue-url $inbox --wait-time-seconds 1 --query 'Messages[0].Body' --output text | grep -q 'Step Functions Execution Status Change' && echo yes"
aws s3 cp "$BB/executions/run-1/ScoreTask/output.json" - | jq -c 'del(.failAt)' > "$tmp/fixed.json"
aws s3 cp "$tmp/fixed.json" "$BB/executions/run-1/ScoreTask/output.json" --content-type application/json >/dev/null
aws stepfunctions redrive-execution --execution-arn "$RUN" >/dev/null
wait_for "redriven run-1 SUCCEEDED" 240 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions describe-execution --execution-arn $RUN --query status --output text)\" = SUCCEEDED ] && echo yes"
[ "$(aws stepfunctions describe-execution --execution-arn "$RUN" --query redriveCount --output text)" = 1 ] || fail "redriveCount"
aws stepfunctions get-execution-history --execution-arn "$RUN" --max-results 1000 \
  | jq -e '[.events[] | select(.type=="TaskStateEntered") | .stateEnteredEventDetails.name] | map(select(.=="ETLTask")) | length == 1' >/dev/null \
  || fail "redrive reran earlier stages"
ok "redrive resumed at the failed stage and reused the earlier outputs"

# --- restart with the same input (runbook "Restart Failed Workflow") and resume from a stage -----
aws stepfunctions describe-execution --execution-arn "${SB/stateMachine/execution}:ok-1" --query 'input' --output text > "$tmp/original-input.json"
aws stepfunctions start-execution --state-machine-arn "$SB" --name again-1 --input "file://$tmp/original-input.json" >/dev/null
wait_for "restart with the same input SUCCEEDED" 240 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions describe-execution --execution-arn ${SB/stateMachine/execution}:again-1 --query status --output text)\" = SUCCEEDED ] && echo yes"
aws stepfunctions start-execution --state-machine-arn "$SB" --name resume-1 \
  --input '{"resume":{"executionId":"run-1","fromStage":"StoreTask"}}' >/dev/null
RES=${SB/stateMachine/execution}:resume-1
wait_for "resume from StoreTask SUCCEEDED" 240 bash -c "[ \"\$(command aws --endpoint-url $E stepfunctions describe-execution --execution-arn $RES --query status --output text)\" = SUCCEEDED ] && echo yes"
entered=$(aws stepfunctions get-execution-history --execution-arn "$RES" --max-results 1000 \
  | jq -c '[.events[] | select(.type=="TaskStateEntered") | .stateEnteredEventDetails.name]')
[ "$entered" = '["StoreTask","ReactiveTask"]' ] || fail "resume entered $entered"
aws s3 ls "$BB/executions/resume-1/" >/dev/null 2>&1 && fail "resume wrote under its own name, not the original run's"
ok "resume ran StoreTask onwards under the original run's data"
echo "PASS"
