#!/usr/bin/env bash
# deploy.sh NAME express|standard [--fast] [--definition FILE]
#
# Deploys one CEAP workflow named NAME on ceap (or on AWS) with nothing but the aws CLI:
# queue and dead-letter queue, bucket with its lifecycle rule, the five stage functions (built
# here from ./stages), the HeavyETL Glue job (standard only), log group, state machine, pipe,
# the ceap-ops-alerts topic, the failure rule (standard), alarms, the WorkflowMonitoring
# dashboard and saved log queries. Running it again updates the workflow in place.
#
#   --fast             5 s queue visibility timeout and 1 s retry intervals, so failure paths
#                      show in seconds instead of minutes
#   --definition FILE  a state machine template other than statemachines/<type>.asl.json
#
# Environment: CEAP_ENDPOINT (default http://127.0.0.1:4566), CEAP_ACCOUNT_ID (default: read
# from the server), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (default test/test).
#
# Steps that the deployment cannot work without, and the alarms and dashboard, stop the script
# when they fail; the other monitoring steps (saved queries, topics, rules) are reported and
# skipped, and the summary at the end lists them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
region="us-east-1"
CEAP_ENDPOINT="${CEAP_ENDPOINT:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="$region"
export AWS_PAGER=""

usage() {
	echo "usage: $0 NAME express|standard [--fast] [--definition FILE]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
name="$1"
type="$2"
shift 2
fast=0
definition=""
while [ $# -gt 0 ]; do
	case "$1" in
	--fast) fast=1 ;;
	--definition)
		[ $# -ge 2 ] || usage
		definition="$2"
		shift
		;;
	*) usage ;;
	esac
	shift
done

case "$type" in
express) sfn_type="EXPRESS" invocation="REQUEST_RESPONSE" ;;
standard) sfn_type="STANDARD" invocation="FIRE_AND_FORGET" ;;
*) usage ;;
esac
# The name goes into a bucket name: lower-case letters, digits and hyphens.
if ! [[ "$name" =~ ^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$ ]]; then
	echo "deploy: workflow name '$name' must be 1-30 lower-case letters, digits or hyphens" >&2
	exit 2
fi
definition="${definition:-$here/statemachines/$type.asl.json}"
[ -f "$definition" ] || { echo "deploy: no state machine template at $definition" >&2; exit 2; }

# Express executions last at most five minutes and cannot wait for a batch job.
if [ "$type" = express ] && grep -q 'arn:aws:states:::glue:' "$definition"; then
	echo "deploy: refusing to deploy '$name': an express workflow cannot have a batch-job stage." >&2
	echo "deploy: $definition runs a Glue job; express executions last at most 5 minutes and" >&2
	echo "deploy: cannot wait for one. Deploy it as a standard workflow: $0 $name standard" >&2
	exit 2
fi

awsc() { aws --endpoint-url "$CEAP_ENDPOINT" --region "$region" "$@"; }

skipped=()
# optional DESCRIPTION COMMAND...: runs a step the workflow can run without; on failure it
# reports the server's answer and carries on.
optional() {
	local what="$1" err
	shift
	if err="$("$@" 2>&1 >/dev/null)"; then
		echo "  ok      $what"
	else
		err="$(printf '%s' "$err" | tr -s '\n' ' ' | cut -c1-200)"
		echo "  SKIPPED $what: $err"
		skipped+=("$what")
	fi
}
step() { echo "==> $*"; }

retry_lambda=20
retry_batch=300
visibility=600
if [ "$fast" = 1 ]; then
	retry_lambda=1 retry_batch=1 visibility=5
fi

queue="ceap-workflow-$name-queue"
dlq="ceap-workflow-$name-dlq"
machine="Ceap-$name-Workflow"
log_group="/aws/stepfunctions/$machine"
pipe="ceap-workflow-$name-pipe"
job="ceap-workflow-$name-heavy-etl"
rule="ceap-workflow-$name-failure-rule"
summary_topic="ceap-workflow-$name-summary"
stages=(etl filter score store reactive)
declare -A function_of=([etl]=ETL [filter]=Filter [score]=Score [store]=Store [reactive]=Reactive)
declare -A memory_of=([etl]=1024 [filter]=512 [score]=1024 [store]=512 [reactive]=1024)
declare -A timeout_of=([etl]=300 [filter]=60 [score]=120 [store]=60 [reactive]=60)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "building the stage functions"
(cd "$here" && GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$work/bin/" \
	./stages/etl ./stages/filter ./stages/score ./stages/store ./stages/reactive)
for s in "${stages[@]}"; do
	mkdir -p "$work/$s"
	cp "$work/bin/$s" "$work/$s/bootstrap"
	(cd "$work/$s" && zip -q -X "$work/$s.zip" bootstrap)
done

step "queues $queue and $dlq"
dlq_url="$(awsc sqs create-queue --queue-name "$dlq" --query QueueUrl --output text)"
awsc sqs set-queue-attributes --queue-url "$dlq_url" --attributes MessageRetentionPeriod=1209600
dlq_arn="$(awsc sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn \
	--query Attributes.QueueArn --output text)"
account="${CEAP_ACCOUNT_ID:-$(echo "$dlq_arn" | cut -d: -f5)}"
queue_url="$(awsc sqs create-queue --queue-name "$queue" --query QueueUrl --output text)"
redrive="$(jq -cn --arg arn "$dlq_arn" '{deadLetterTargetArn: $arn, maxReceiveCount: "3"}')"
awsc sqs set-queue-attributes --queue-url "$queue_url" --attributes "$(jq -cn \
	--arg vis "$visibility" --arg redrive "$redrive" '{VisibilityTimeout: $vis, RedrivePolicy: $redrive}')"
queue_arn="$(awsc sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn \
	--query Attributes.QueueArn --output text)"
echo "  ok      visibility timeout ${visibility}s, redrive to the DLQ after 3 receives, DLQ retention 14 days"

bucket="ceap-workflow-$name-$account"
role_prefix="arn:aws:iam::$account:role/CeapWorkflow-$name"
machine_arn="arn:aws:states:$region:$account:stateMachine:$machine"

step "bucket $bucket"
if ! awsc s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
	awsc s3api create-bucket --bucket "$bucket" >/dev/null
fi
awsc s3api put-bucket-lifecycle-configuration --bucket "$bucket" --lifecycle-configuration '{
  "Rules": [{"ID": "DeleteOldExecutions", "Status": "Enabled", "Filter": {"Prefix": "executions/"},
             "Expiration": {"Days": 7}}]}' >/dev/null
echo "  ok      lifecycle rule DeleteOldExecutions: executions/ expires after 7 days"

step "topics"
ops_topic_arn="arn:aws:sns:$region:$account:ceap-ops-alerts"
summary_env='{}'
optional "SNS topic ceap-ops-alerts" awsc sns create-topic --name ceap-ops-alerts
if summary_arn="$(awsc sns create-topic --name "$summary_topic" --query TopicArn --output text 2>/dev/null)"; then
	echo "  ok      SNS topic $summary_topic (Reactive publishes run summaries to it)"
	summary_env="$(jq -cn --arg arn "$summary_arn" '{SUMMARY_TOPIC_ARN: $arn}')"
else
	echo "  SKIPPED SNS topic $summary_topic: Reactive will not publish summaries"
	skipped+=("SNS topic $summary_topic")
fi

step "stage functions"
declare -A function_arn
for s in "${stages[@]}"; do
	fn="CeapWorkflow-$name-${function_of[$s]}Lambda"
	env="$(jq -cn --argjson vars "$([ "$s" = reactive ] && echo "$summary_env" || echo '{}')" \
		--arg stage "${function_of[$s]}" --arg wf "$name" '{Variables: ($vars + {CEAP_WORKFLOW: $wf, CEAP_STAGE: $stage})}')"
	if awsc lambda get-function --function-name "$fn" >/dev/null 2>&1; then
		awsc lambda update-function-code --function-name "$fn" --zip-file "fileb://$work/$s.zip" >/dev/null
		awsc lambda wait function-updated --function-name "$fn" 2>/dev/null || true
		awsc lambda update-function-configuration --function-name "$fn" --memory-size "${memory_of[$s]}" \
			--timeout "${timeout_of[$s]}" --environment "$env" >/dev/null
		echo "  ok      $fn updated"
	else
		awsc lambda create-function --function-name "$fn" --runtime provided.al2023 --handler bootstrap \
			--architectures x86_64 --role "$role_prefix-StageRole" --zip-file "fileb://$work/$s.zip" \
			--memory-size "${memory_of[$s]}" --timeout "${timeout_of[$s]}" --environment "$env" >/dev/null
		awsc lambda wait function-active-v2 --function-name "$fn" 2>/dev/null || true
		echo "  ok      $fn created (${memory_of[$s]} MB, ${timeout_of[$s]} s)"
	fi
	function_arn[$s]="arn:aws:lambda:$region:$account:function:$fn"
done

if grep -q 'arn:aws:states:::glue:' "$definition"; then
	step "batch job $job"
	awsc s3 cp "$here/glue/heavy_etl.py" "s3://$bucket/glue/heavy_etl.py" --content-type text/x-python >/dev/null
	job_spec="$(jq -cn --arg role "$role_prefix-GlueRole" --arg script "s3://$bucket/glue/heavy_etl.py" '{
		Role: $role, Command: {Name: "pythonshell", ScriptLocation: $script, PythonVersion: "3.9"},
		MaxRetries: 0, Timeout: 120, MaxCapacity: 0.0625, GlueVersion: "3.0",
		Description: "CEAP HeavyETL: enriches every record with processing metadata"}')"
	if awsc glue get-job --job-name "$job" >/dev/null 2>&1; then
		awsc glue update-job --job-name "$job" --job-update "$job_spec" >/dev/null
		echo "  ok      $job updated"
	else
		awsc glue create-job --name "$job" --cli-input-json "$job_spec" >/dev/null
		echo "  ok      $job created (pythonshell, timeout 120 min, no job retries)"
	fi
fi

step "log group $log_group"
if ! awsc logs describe-log-groups --log-group-name-prefix "$log_group" \
	--query "logGroups[?logGroupName=='$log_group'].logGroupName" --output text | grep -q .; then
	awsc logs create-log-group --log-group-name "$log_group"
fi
awsc logs put-retention-policy --log-group-name "$log_group" --retention-in-days 14
echo "  ok      retention 14 days"

step "state machine $machine ($sfn_type)"
sed -e "s|\${WORKFLOW_BUCKET}|$bucket|g" \
	-e "s|\${ETL_FUNCTION_ARN}|${function_arn[etl]}|g" \
	-e "s|\${FILTER_FUNCTION_ARN}|${function_arn[filter]}|g" \
	-e "s|\${SCORE_FUNCTION_ARN}|${function_arn[score]}|g" \
	-e "s|\${STORE_FUNCTION_ARN}|${function_arn[store]}|g" \
	-e "s|\${REACTIVE_FUNCTION_ARN}|${function_arn[reactive]}|g" \
	-e "s|\${HEAVY_ETL_JOB_NAME}|$job|g" \
	"$definition" |
	jq --argjson fn "$retry_lambda" --argjson batch "$retry_batch" '
		.States |= map_values(
			if .Type == "Task" then
				(if (.Resource | test("glue")) then $batch else $fn end) as $interval
				| .Retry |= map(if .IntervalSeconds != null then .IntervalSeconds = $interval else . end)
			else . end)' >"$work/definition.json"
if grep -q '\${' "$work/definition.json"; then
	echo "deploy: $definition has placeholders this script does not fill:" >&2
	grep -o '\${[A-Z_]*}' "$work/definition.json" | sort -u >&2
	exit 1
fi
logging="$(jq -cn --arg arn "arn:aws:logs:$region:$account:log-group:$log_group:*" \
	'{level: "ALL", includeExecutionData: true, destinations: [{cloudWatchLogsLogGroup: {logGroupArn: $arn}}]}')"
if existing_type="$(awsc stepfunctions describe-state-machine --state-machine-arn "$machine_arn" \
	--query type --output text 2>/dev/null)"; then
	if [ "$existing_type" != "$sfn_type" ]; then
		echo "deploy: $machine exists as a $existing_type state machine; a state machine's type cannot change." >&2
		echo "deploy: run ./teardown.sh $name first, or choose another name." >&2
		exit 1
	fi
	awsc stepfunctions update-state-machine --state-machine-arn "$machine_arn" \
		--definition "file://$work/definition.json" --role-arn "$role_prefix-StatesRole" \
		--logging-configuration "$logging" >/dev/null
	echo "  ok      updated (logging ALL with execution data, retry interval ${retry_lambda}s / batch ${retry_batch}s)"
else
	awsc stepfunctions create-state-machine --name "$machine" --type "$sfn_type" \
		--definition "file://$work/definition.json" --role-arn "$role_prefix-StatesRole" \
		--logging-configuration "$logging" >/dev/null
	echo "  ok      created (logging ALL with execution data, retry interval ${retry_lambda}s / batch ${retry_batch}s)"
fi

step "pipe $pipe ($invocation)"
target_params="$(jq -cn --arg inv "$invocation" '{StepFunctionStateMachineParameters: {InvocationType: $inv}}')"
if awsc pipes describe-pipe --name "$pipe" >/dev/null 2>&1; then
	awsc pipes update-pipe --name "$pipe" --role-arn "$role_prefix-PipeRole" --desired-state RUNNING \
		--target "$machine_arn" --target-parameters "$target_params" \
		--source-parameters '{"SqsQueueParameters": {"BatchSize": 1}}' >/dev/null
	echo "  ok      updated, desired state RUNNING"
else
	awsc pipes create-pipe --name "$pipe" --role-arn "$role_prefix-PipeRole" --desired-state RUNNING \
		--source "$queue_arn" --source-parameters '{"SqsQueueParameters": {"BatchSize": 1}}' \
		--target "$machine_arn" --target-parameters "$target_params" >/dev/null
	echo "  ok      created: $queue -> $machine, batch size 1, desired state RUNNING"
fi

if [ "$type" = standard ]; then
	step "failure rule $rule"
	pattern="$(jq -cn --arg arn "$machine_arn" '{source: ["aws.states"],
		"detail-type": ["Step Functions Execution Status Change"],
		detail: {status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [$arn]}}')"
	optional "rule $rule (FAILED, TIMED_OUT, ABORTED)" awsc events put-rule --name "$rule" \
		--event-pattern "$pattern" --state ENABLED --description "CEAP $name: failed executions to ceap-ops-alerts"
	optional "rule target ceap-ops-alerts" awsc events put-targets --rule "$rule" \
		--targets "Id=ceap-ops-alerts,Arn=$ops_topic_arn"
fi

step "alarms"
# ceap evaluates these every minute and publishes their notifications to ceap-ops-alerts.
awsc cloudwatch put-metric-alarm \
	--alarm-name "$machine-ExecutionsFailed" --alarm-description "CEAP $name: more than 5 failed executions in 5 minutes" \
	--namespace AWS/States --metric-name ExecutionsFailed --statistic Sum --period 300 --threshold 5 \
	--comparison-operator GreaterThanThreshold --evaluation-periods 1 \
	--dimensions "Name=StateMachineArn,Value=$machine_arn" --alarm-actions "$ops_topic_arn"
echo "  ok      alarm $machine-ExecutionsFailed (Sum > 5 over 300 s)"
awsc cloudwatch put-metric-alarm \
	--alarm-name "$machine-ExecutionTime" --alarm-description "CEAP $name: executions take longer than 4 minutes" \
	--namespace AWS/States --metric-name ExecutionTime --statistic Average --period 60 --threshold 240000 \
	--comparison-operator GreaterThanThreshold --evaluation-periods 1 \
	--dimensions "Name=StateMachineArn,Value=$machine_arn" --alarm-actions "$ops_topic_arn"
echo "  ok      alarm $machine-ExecutionTime (Average > 240000 ms over 60 s)"
awsc cloudwatch put-metric-alarm \
	--alarm-name "$dlq-messages" --alarm-description "CEAP $name: messages in the dead-letter queue" \
	--namespace AWS/SQS --metric-name ApproximateNumberOfMessagesVisible --statistic Average --period 300 \
	--threshold 1 --comparison-operator GreaterThanThreshold --evaluation-periods 1 \
	--dimensions "Name=QueueName,Value=$dlq" --alarm-actions "$ops_topic_arn"
echo "  ok      alarm $dlq-messages (Average > 1 over 300 s)"

step "dashboard WorkflowMonitoring"
# The dashboard is shared by every workflow: this workflow's widgets (titles starting with
# "<name>: ") replace its earlier ones and the other workflows' widgets stay.
widgets="$(jq -cn --arg wf "$name" --arg arn "$machine_arn" --arg q "$queue" --arg dlq "$dlq" \
	--arg lg "$log_group" --arg region "$region" '[
	{type: "metric", width: 12, height: 6, properties: {title: "\($wf): executions", region: $region, period: 300, stat: "Sum",
		metrics: [["AWS/States", "ExecutionsStarted", "StateMachineArn", $arn],
			[".", "ExecutionsSucceeded", ".", "."], [".", "ExecutionsFailed", ".", "."]]}},
	{type: "metric", width: 12, height: 6, properties: {title: "\($wf): execution time", region: $region, period: 300,
		stat: "Average", metrics: [["AWS/States", "ExecutionTime", "StateMachineArn", $arn]]}},
	{type: "metric", width: 12, height: 6, properties: {title: "\($wf): queue depth", region: $region, period: 300,
		stat: "Average", metrics: [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", $q],
			["...", $dlq]]}},
	{type: "log", width: 12, height: 6, properties: {title: "\($wf): recent errors", region: $region,
		query: "SOURCE \u0027\($lg)\u0027 | fields @timestamp, @message\n| filter @message like /ERROR/\n| sort @timestamp desc\n| limit 20"}}]')"
current='{"widgets": []}'
if body="$(awsc cloudwatch get-dashboard --dashboard-name WorkflowMonitoring --query DashboardBody --output text 2>/dev/null)"; then
	current="$body"
fi
dashboard="$(printf '%s' "$current" | jq -c --arg prefix "$name: " --argjson mine "$widgets" \
	'{widgets: ([.widgets[]? | select((.properties.title // "") | startswith($prefix) | not)] + $mine)}')"
awsc cloudwatch put-dashboard --dashboard-name WorkflowMonitoring --dashboard-body "$dashboard" >/dev/null
echo "  ok      dashboard WorkflowMonitoring ($name widgets)"

step "saved log queries"
stage_groups=()
for s in "${stages[@]}"; do stage_groups+=("/aws/lambda/CeapWorkflow-$name-${function_of[$s]}Lambda"); done
save_query() {
	local qname="$1" query="$2" id
	id="$(awsc logs describe-query-definitions --query-definition-name-prefix "$qname" \
		--query "queryDefinitions[?name=='$qname'].queryDefinitionId | [0]" --output text)"
	if [ -n "$id" ] && [ "$id" != None ]; then
		awsc logs put-query-definition --name "$qname" --query-definition-id "$id" \
			--log-group-names "${stage_groups[@]}" --query-string "$query"
	else
		awsc logs put-query-definition --name "$qname" --log-group-names "${stage_groups[@]}" --query-string "$query"
	fi
}
optional "query CEAP/$name/failed-executions" save_query "CEAP/$name/failed-executions" \
	$'fields @timestamp, executionId, stage, errorType, errorMessage\n| filter status = "FAILED"\n| sort @timestamp desc\n| limit 50'
optional "query CEAP/$name/duration-by-stage" save_query "CEAP/$name/duration-by-stage" \
	$'fields stage, duration\n| filter status = "SUCCEEDED"\n| stats avg(duration), max(duration), min(duration) by stage\n| sort avg(duration) desc'
optional "query CEAP/$name/s3-access-errors" save_query "CEAP/$name/s3-access-errors" \
	$'fields @timestamp, @message\n| filter @message like /AccessDenied|NoSuchKey/\n| sort @timestamp desc\n| limit 20'

echo
echo "Deployed CEAP workflow '$name' ($type) on $CEAP_ENDPOINT:"
echo "  queue          $queue_url"
echo "  DLQ            $dlq_url"
echo "  bucket         s3://$bucket"
echo "  state machine  $machine_arn"
echo "  pipe           $pipe"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "Not deployed (the server refused; the workflow runs without them):"
	printf '  - %s\n' "${skipped[@]}"
fi
echo
echo "Try it:"
echo "  aws --endpoint-url $CEAP_ENDPOINT sqs send-message --queue-url $queue_url \\"
echo "    --message-body '{\"programId\":\"P-1\",\"marketplace\":\"US\",\"candidates\":[{\"customerId\":\"C1\",\"subjectId\":\"S1\",\"eventType\":\"purchase\",\"eventTime\":\"$(date -u +%Y-%m-%d)\",\"features\":{\"engagement\":0.8}}]}'"
echo "  aws --endpoint-url $CEAP_ENDPOINT stepfunctions list-executions --state-machine-arn $machine_arn"
echo "  aws --endpoint-url $CEAP_ENDPOINT s3 ls s3://$bucket/executions/ --recursive"
