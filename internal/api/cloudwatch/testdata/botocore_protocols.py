"""Drives ceap's CloudWatch API with boto3 in one protocol: json (what botocore picks by
default), smithy-rpc-v2-cbor or query (forced through a copy of the model that lists only that
protocol). Usage: botocore_protocols.py ENDPOINT PROTOCOL. Exits non-zero on the first mismatch."""
import datetime
import gzip
import json
import os
import sys
import tempfile

import botocore

endpoint, protocol = sys.argv[1], sys.argv[2]
if protocol != "json":
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01", "service-2.json.gz")
    model = json.load(gzip.open(src))
    model["metadata"]["protocols"] = [protocol]
    model["metadata"]["protocol"] = protocol
    root = tempfile.mkdtemp()
    os.makedirs(os.path.join(root, "cloudwatch", "2010-08-01"))
    with open(os.path.join(root, "cloudwatch", "2010-08-01", "service-2.json"), "w") as f:
        json.dump(model, f)
    os.environ["AWS_DATA_PATH"] = root

import boto3  # noqa: E402  (after AWS_DATA_PATH is set)
from botocore.exceptions import ClientError  # noqa: E402

cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
assert cw.meta.service_model.resolved_protocol == protocol, cw.meta.service_model.resolved_protocol


def check(cond, what):
    if not cond:
        print("FAIL", protocol, what)
        sys.exit(1)


name = "dlq-" + protocol
cw.put_metric_alarm(AlarmName=name, MetricName="ApproximateNumberOfMessagesVisible", Namespace="AWS/SQS",
                    Statistic="Average", Period=300, Threshold=1.5, ComparisonOperator="GreaterThanThreshold",
                    Dimensions=[{"Name": "QueueName", "Value": "workflow-dlq"}], EvaluationPeriods=1,
                    AlarmActions=["arn:aws:sns:us-east-1:000000000000:ops-alerts"], Tags=[{"Key": "team", "Value": "ops"}])
alarms = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
check(len(alarms) == 1, "describe_alarms")
a = alarms[0]
check(isinstance(a["StateUpdatedTimestamp"], datetime.datetime), "timestamp type %r" % a["StateUpdatedTimestamp"])
check(a["Threshold"] == 1.5 and a["Period"] == 300 and a["ActionsEnabled"] is True, "alarm fields %r" % a)
check(a["Dimensions"] == [{"Name": "QueueName", "Value": "workflow-dlq"}], "dimensions %r" % a["Dimensions"])
tags = cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]
check(tags == [{"Key": "team", "Value": "ops"}], "tags %r" % tags)

now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
cw.put_metric_data(Namespace="App-" + protocol, MetricData=[
    {"MetricName": "Latency", "Value": 10.0, "Unit": "Milliseconds", "Timestamp": now - datetime.timedelta(minutes=2),
     "Dimensions": [{"Name": "Stage", "Value": "etl"}]},
    {"MetricName": "Latency", "Values": [20.0, 30.0], "Counts": [1.0, 2.0], "Unit": "Milliseconds",
     "Timestamp": now - datetime.timedelta(minutes=2), "Dimensions": [{"Name": "Stage", "Value": "etl"}]},
])
stats = cw.get_metric_statistics(Namespace="App-" + protocol, MetricName="Latency", Dimensions=[{"Name": "Stage", "Value": "etl"}],
                                 StartTime=now - datetime.timedelta(minutes=10), EndTime=now, Period=60,
                                 Statistics=["Sum", "SampleCount", "Maximum"])
dps = stats["Datapoints"]
check(len(dps) == 1, "datapoints %r" % dps)
dp = dps[0]
check(dp["Timestamp"] == now - datetime.timedelta(minutes=2), "datapoint time %r" % dp["Timestamp"])
check(dp["Sum"] == 90.0 and dp["SampleCount"] == 4.0 and dp["Maximum"] == 30.0 and dp["Unit"] == "Milliseconds", "datapoint %r" % dp)
data = cw.get_metric_data(StartTime=now - datetime.timedelta(minutes=10), EndTime=now, MetricDataQueries=[
    {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App-" + protocol, "MetricName": "Latency",
                                           "Dimensions": [{"Name": "Stage", "Value": "etl"}]}, "Period": 300, "Stat": "Average"}}])
r = data["MetricDataResults"][0]
check(r["Id"] == "m1" and r["Values"] == [22.5] and isinstance(r["Timestamps"][0], datetime.datetime), "metric data %r" % r)
metrics = cw.list_metrics(Namespace="App-" + protocol)["Metrics"]
check(len(metrics) == 1 and metrics[0]["Dimensions"] == [{"Name": "Stage", "Value": "etl"}], "list_metrics %r" % metrics)

cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="protocol test")
hist = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
# The evaluator may have moved the alarm on since (it runs each minute on the real clock): the
# oldest three items are the creation, the set state and its action.
check([h["HistoryItemType"] for h in hist][-3:] == ["Action", "StateUpdate", "ConfigurationUpdate"], "history %r" % hist)
check(isinstance(hist[0]["Timestamp"], datetime.datetime), "history timestamp")

body = json.dumps({"widgets": [{"type": "text", "properties": {"markdown": "hi"}}]})
cw.put_dashboard(DashboardName="D-" + protocol, DashboardBody=body)
check(cw.get_dashboard(DashboardName="D-" + protocol)["DashboardBody"] == body, "dashboard body")

for call, code in [
    (lambda: cw.get_dashboard(DashboardName="Missing"), "ResourceNotFound"),
    (lambda: cw.put_dashboard(DashboardName="Bad", DashboardBody="{}"), "InvalidParameterInput"),
    (lambda: cw.put_metric_data(Namespace="AWS/SQS", MetricData=[{"MetricName": "x", "Value": 1.0}]), "InvalidParameterValue"),
    (lambda: cw.delete_alarms(AlarmNames=["missing"]), "ResourceNotFound"),
]:
    try:
        call()
        check(False, "no error where %s was expected" % code)
    except ClientError as e:
        check(e.response["Error"]["Code"] == code, "error code %r, want %s" % (e.response["Error"]["Code"], code))
cw.delete_alarms(AlarmNames=[name])
check(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == [], "deleted alarm still listed")
print("ok", protocol)
