#!/usr/bin/env bash
# teardown.sh NAME
#
# Removes everything deploy.sh created for the CEAP workflow NAME: pipe first (so nothing new
# starts), then state machine, functions, batch job, failure rule, alarms, this workflow's
# dashboard widgets and saved queries, log group, queues, bucket (with its objects) and summary
# topic. The shared ceap-ops-alerts topic goes too when no other CEAP workflow is left.
# Anything already gone is skipped, so it can be run again.
#
# Environment: CEAP_ENDPOINT (default http://127.0.0.1:4566), CEAP_ACCOUNT_ID (default: read
# from the server).
set -uo pipefail

region="us-east-1"
CEAP_ENDPOINT="${CEAP_ENDPOINT:-http://127.0.0.1:4566}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="$region"
export AWS_PAGER=""

[ $# -eq 1 ] || { echo "usage: $0 NAME" >&2; exit 2; }
name="$1"

awsc() { aws --endpoint-url "$CEAP_ENDPOINT" --region "$region" "$@"; }

failed=0
# remove DESCRIPTION COMMAND...: runs a removal; a resource that does not exist counts as removed.
remove() {
	local what="$1" err
	shift
	if err="$("$@" 2>&1 >/dev/null)"; then
		echo "  removed $what"
	elif printf '%s' "$err" | grep -Eq 'NotFound|NonExistent|does not exist|NoSuch|not found|ResourceNotFound'; then
		echo "  absent  $what"
	else
		echo "  FAILED  $what: $(printf '%s' "$err" | tr -s '\n' ' ' | cut -c1-200)"
		failed=1
	fi
}

queue="ceap-workflow-$name-queue"
dlq="ceap-workflow-$name-dlq"
machine="Ceap-$name-Workflow"
pipe="ceap-workflow-$name-pipe"
job="ceap-workflow-$name-heavy-etl"
rule="ceap-workflow-$name-failure-rule"

queue_url="$(awsc sqs get-queue-url --queue-name "$queue" --query QueueUrl --output text 2>/dev/null || true)"
dlq_url="$(awsc sqs get-queue-url --queue-name "$dlq" --query QueueUrl --output text 2>/dev/null || true)"
account="${CEAP_ACCOUNT_ID:-}"
if [ -z "$account" ]; then
	for url in "$dlq_url" "$queue_url"; do
		[ -n "$url" ] || continue
		account="$(awsc sqs get-queue-attributes --queue-url "$url" --attribute-names QueueArn \
			--query Attributes.QueueArn --output text 2>/dev/null | cut -d: -f5)"
		[ -n "$account" ] && break
	done
fi
if [ -z "$account" ]; then
	account="$(awsc sts get-caller-identity --query Account --output text 2>/dev/null || true)"
fi
if [ -z "$account" ]; then
	# Any ARN the server hands out names the account.
	account="$( (awsc sns list-topics --query 'Topics[].TopicArn' --output text 2>/dev/null;
		awsc stepfunctions list-state-machines --query 'stateMachines[].stateMachineArn' --output text 2>/dev/null) |
		tr '\t' '\n' | grep -m1 '^arn:' | cut -d: -f5)"
fi
if [ -z "$account" ]; then
	echo "teardown: found nothing of '$name' to remove (set CEAP_ACCOUNT_ID to name the account)" >&2
	exit 0
fi
machine_arn="arn:aws:states:$region:$account:stateMachine:$machine"
bucket="ceap-workflow-$name-$account"

echo "==> tearing down CEAP workflow '$name' on $CEAP_ENDPOINT"
remove "pipe $pipe" awsc pipes delete-pipe --name "$pipe"
for _ in $(seq 1 30); do
	awsc pipes describe-pipe --name "$pipe" >/dev/null 2>&1 || break
	sleep 1
done
remove "state machine $machine" awsc stepfunctions delete-state-machine --state-machine-arn "$machine_arn"
for stage in ETL Filter Score Store Reactive; do
	remove "function CeapWorkflow-$name-${stage}Lambda" awsc lambda delete-function \
		--function-name "CeapWorkflow-$name-${stage}Lambda"
done
if awsc glue get-job --job-name "$job" >/dev/null 2>&1; then
	remove "batch job $job" awsc glue delete-job --job-name "$job"
fi
if awsc events describe-rule --name "$rule" >/dev/null 2>&1; then
	remove "targets of rule $rule" awsc events remove-targets --rule "$rule" --ids ceap-ops-alerts
	remove "rule $rule" awsc events delete-rule --name "$rule"
fi
if awsc cloudwatch describe-alarms --alarm-names "$machine-ExecutionsFailed" >/dev/null 2>&1; then
	remove "alarms" awsc cloudwatch delete-alarms --alarm-names "$machine-ExecutionsFailed" \
		"$machine-ExecutionTime" "$dlq-messages"
fi
if body="$(awsc cloudwatch get-dashboard --dashboard-name WorkflowMonitoring --query DashboardBody --output text 2>/dev/null)"; then
	rest="$(printf '%s' "$body" | jq -c --arg prefix "$name: " \
		'{widgets: [.widgets[]? | select((.properties.title // "") | startswith($prefix) | not)]}')"
	if [ "$(printf '%s' "$rest" | jq '.widgets | length')" = 0 ]; then
		remove "dashboard WorkflowMonitoring" awsc cloudwatch delete-dashboards --dashboard-names WorkflowMonitoring
	else
		remove "$name widgets of dashboard WorkflowMonitoring" awsc cloudwatch put-dashboard \
			--dashboard-name WorkflowMonitoring --dashboard-body "$rest"
	fi
fi
if ids="$(awsc logs describe-query-definitions --query-definition-name-prefix "CEAP/$name/" \
	--query 'queryDefinitions[].queryDefinitionId' --output text 2>/dev/null)"; then
	for id in $ids; do
		[ "$id" = None ] && continue
		remove "saved query $id" awsc logs delete-query-definition --query-definition-id "$id"
	done
fi
remove "log group /aws/stepfunctions/$machine" awsc logs delete-log-group --log-group-name "/aws/stepfunctions/$machine"
for stage in ETL Filter Score Store Reactive; do
	group="/aws/lambda/CeapWorkflow-$name-${stage}Lambda"
	if awsc logs describe-log-groups --log-group-name-prefix "$group" \
		--query "logGroups[?logGroupName=='$group'].logGroupName" --output text 2>/dev/null | grep -q .; then
		remove "log group $group" awsc logs delete-log-group --log-group-name "$group"
	fi
done
[ -n "$queue_url" ] && remove "queue $queue" awsc sqs delete-queue --queue-url "$queue_url"
[ -n "$dlq_url" ] && remove "queue $dlq" awsc sqs delete-queue --queue-url "$dlq_url"
if awsc s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
	remove "objects of s3://$bucket" awsc s3 rm "s3://$bucket" --recursive
	remove "bucket $bucket" awsc s3api delete-bucket --bucket "$bucket"
fi
remove "topic ceap-workflow-$name-summary" awsc sns delete-topic \
	--topic-arn "arn:aws:sns:$region:$account:ceap-workflow-$name-summary"
if others="$(awsc stepfunctions list-state-machines --query 'stateMachines[].name' --output text 2>/dev/null)"; then
	if ! printf '%s\n' $others | grep -Eq '^Ceap-.+-Workflow$'; then
		remove "topic ceap-ops-alerts (no CEAP workflow left)" awsc sns delete-topic \
			--topic-arn "arn:aws:sns:$region:$account:ceap-ops-alerts"
	fi
fi
exit "$failed"
