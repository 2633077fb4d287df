// Package infra_test checks the SAM template with the tools AWS users run on
// it: cfn-lint, and aws-sam-translator (the transform `sam deploy` applies),
// then asserts on the CloudFormation that comes out.
package infra_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/testtools"
)

const (
	template          = "template.yaml"
	makefile          = "../Makefile"
	toolsHint         = `pip install "cfn-lint==1.51.0" "aws-sam-translator==1.110.0" (or: make tools)`
	samModule         = "samtranslator"
	slashRoute        = "/slack/commands"
	interactionsRoute = "/slack/interactions"
	workerName        = "CreateFunction"
	edgeName          = "SlackFunction"
	failQueue         = "CreateFailureQueue"
)

func TestCfnLintIsClean(t *testing.T) {
	lint := testtools.RequireTool(t, "cfn-lint", toolsHint)
	out, err := exec.Command(lint, template).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("cfn-lint %s: %v\n%s", template, err, out)
	}
}

// doc is a JSON document walked with get.
type doc = map[string]any

var transformed struct {
	once    sync.Once
	missing bool // python3 or samtranslator is not installed
	tpl     doc
	err     error
}

// cloudFormation returns the template after the SAM transform, run once per
// test binary.
func cloudFormation(t *testing.T) doc {
	t.Helper()
	transformed.once.Do(func() {
		py, err := exec.LookPath("python3")
		if err == nil {
			err = exec.Command(py, "-c", "import "+samModule).Run()
		}
		if err != nil {
			transformed.missing = true
			return
		}
		cmd := exec.Command(py, "testdata/sam_transform.py", template)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			transformed.err = fmt.Errorf("SAM transform: %v\n%s", err, stderr.String())
			return
		}
		transformed.err = json.Unmarshal(out, &transformed.tpl)
	})
	if transformed.missing {
		testtools.Missing(t, "python3 with aws-sam-translator", toolsHint)
	}
	if transformed.err != nil {
		t.Fatal(transformed.err)
	}
	return transformed.tpl
}

// get walks v along keys (map keys, or decimal indexes into lists) and
// returns nil when a step is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		switch c := v.(type) {
		case doc:
			v = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// resources returns the logical IDs of the resources of type typ, sorted.
func resources(tpl doc, typ string) []string {
	var ids []string
	for id, r := range get(tpl, "Resources").(doc) {
		if get(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// ref names what an IAM Resource or a property points at: "X" for a Ref to
// X (also when wrapped in SAM's Fn::Sub ["${name}", {name: {Ref: X}}]),
// "X.Attr" for a GetAtt; a plain string stays itself.
func ref(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case doc:
		if r, ok := c["Ref"].(string); ok {
			return r
		}
		if ga, ok := c["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return fmt.Sprint(ga[0], ".", ga[1])
		}
		if sub, ok := c["Fn::Sub"].([]any); ok && len(sub) == 2 {
			s, _ := sub[0].(string)
			vars, _ := sub[1].(doc)
			if m := regexp.MustCompile(`^\$\{(\w+)\}$`).FindStringSubmatch(s); m != nil {
				return ref(vars[m[1]])
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// list returns v as a list of values (IAM allows a single value or a list).
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestMakefileHasEveryBuildTarget(t *testing.T) {
	tpl := cloudFormation(t)
	mk, err := os.ReadFile(makefile)
	if err != nil {
		t.Fatal(err)
	}
	functions := resources(tpl, "AWS::Lambda::Function")
	if diff := cmp.Diff([]string{workerName, edgeName}, functions); diff != "" {
		t.Fatalf("functions (-want +got):\n%s", diff)
	}
	for _, id := range functions {
		t.Run(id, func(t *testing.T) {
			if m := get(tpl, "Resources", id, "Metadata", "BuildMethod"); m != "makefile" {
				t.Fatalf("Metadata.BuildMethod = %v, want makefile", m)
			}
			target := "build-" + id
			if !regexp.MustCompile(`(?m)^` + target + `:`).Match(mk) {
				t.Fatalf("Makefile has no %s target, which `sam build` runs", target)
			}
			// What the target would run (make -n runs nothing).
			mkTool := testtools.RequireTool(t, "make", "your OS package manager")
			out, err := exec.Command(mkTool, "-s", "-n", "-C", "..", target, "ARTIFACTS_DIR=/artifacts").CombinedOutput()
			if err != nil {
				t.Fatalf("make -n %s: %v\n%s", target, err, out)
			}
			want := []string{
				"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", "-trimpath", "-ldflags='-s -w'",
				"-o /artifacts/bootstrap",
			}
			// Only the Slack function reads the packaged policy.
			if packsPolicy := strings.Contains(string(out), "/artifacts/access.yaml"); packsPolicy != (id == edgeName) {
				t.Errorf("make -n %s packages the policy = %v, want %v:\n%s", target, packsPolicy, id == edgeName, out)
			}
			for _, w := range want {
				if !strings.Contains(string(out), w) {
					t.Errorf("make -n %s does not contain %q:\n%s", target, w, out)
				}
			}
		})
	}
}

func TestFunctionSettings(t *testing.T) {
	tpl := cloudFormation(t)
	tests := []struct {
		id                 string
		env                []string
		minTimeout, maxTmo float64
	}{
		{edgeName, []string{"ACCESS_POLICY", "ACCESS_POLICY_FILE", "CREATE_FUNCTION_NAME", "LOG_LEVEL", "SLACK_BOT_TOKEN_ARN", "SLACK_SIGNING_SECRET_ARN"}, 3, 10},
		// No signing secret for the worker: it never verifies a request.
		{workerName, []string{"ATLAS_API_VERSION", "ATLAS_BASE_URL", "ATLAS_SECRET_ARN", "LOG_LEVEL", "SLACK_BOT_TOKEN_ARN"}, 60, 300},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := get(tpl, "Resources", tt.id, "Properties")
			for _, c := range []struct {
				path []string
				want any
			}{
				{[]string{"Runtime"}, "provided.al2023"},
				{[]string{"Handler"}, "bootstrap"},
				{[]string{"Architectures"}, []any{"arm64"}},
				{[]string{"LoggingConfig", "LogFormat"}, "JSON"},
			} {
				if diff := cmp.Diff(c.want, get(p, c.path...)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", strings.Join(c.path, "."), diff)
				}
			}
			if tmo, _ := get(p, "Timeout").(float64); tmo < tt.minTimeout || tmo > tt.maxTmo {
				t.Errorf("Timeout = %v, want %v..%v s", get(p, "Timeout"), tt.minTimeout, tt.maxTmo)
			}
			vars, _ := get(p, "Environment", "Variables").(doc)
			var names []string
			for k, v := range vars {
				if k == stateTableEnv {
					continue // TestStateTable checks it (statetable_test.go)
				}
				names = append(names, k)
				// Variables hold references and names, never secret values.
				if s, ok := v.(string); ok && k != "ACCESS_POLICY_FILE" {
					t.Errorf("%s is the literal %q; want a parameter or resource reference", k, s)
				}
			}
			sort.Strings(names)
			if diff := cmp.Diff(tt.env, names); diff != "" {
				t.Errorf("environment variables (-want +got):\n%s", diff)
			}
		})
	}
	for _, id := range []string{edgeName, workerName} {
		if got := ref(get(tpl, "Resources", id, "Properties", "Role")); got != id+"Role.Arn" {
			t.Errorf("%s Role = %s, want %sRole.Arn", id, got, id)
		}
		if got := ref(get(tpl, "Resources", id, "Properties", "LoggingConfig", "LogGroup")); got != id+"LogGroup" {
			t.Errorf("%s LoggingConfig.LogGroup = %s, want a Ref to %sLogGroup (the group its role may write to)", id, got, id)
		}
	}
	if got := ref(get(tpl, "Resources", edgeName, "Properties", "Environment", "Variables", "CREATE_FUNCTION_NAME")); got != workerName {
		t.Errorf("CREATE_FUNCTION_NAME = %s, want a Ref to %s", got, workerName)
	}
}

// iamExceptions lists IAM statements allowed a wildcard resource because AWS
// offers no narrower one: none. Not even for CloudWatch Logs: the roles are
// written out so that SAM does not attach AWSLambdaBasicExecutionRole, whose
// logs actions apply to "*"; each role writes to its own log group only.
var iamExceptions = map[string]bool{}

func TestLeastPrivilege(t *testing.T) {
	tpl := cloudFormation(t)
	// role -> action -> resources it is granted on.
	got := map[string]map[string][]string{}
	for _, role := range resources(tpl, "AWS::IAM::Role") {
		got[role] = map[string][]string{}
		// A managed policy (AWSLambdaBasicExecutionRole, say) escapes the
		// statement checks below.
		if m := get(tpl, "Resources", role, "Properties", "ManagedPolicyArns"); m != nil {
			t.Errorf("%s has managed policies %v; want only inline statements", role, m)
		}
		policies, _ := get(tpl, "Resources", role, "Properties", "Policies").([]any)
		for _, pol := range policies {
			for _, st := range list(get(pol, "PolicyDocument", "Statement")) {
				name := fmt.Sprint(role, "/", get(pol, "PolicyName"))
				if get(st, "Effect") != "Allow" || get(st, "NotResource") != nil || get(st, "NotAction") != nil {
					t.Errorf("%s: unexpected statement form %v", name, st)
				}
				for _, res := range list(get(st, "Resource")) {
					r := ref(res)
					if strings.Contains(r, "*") && !iamExceptions[name] {
						t.Errorf("%s grants %v on %q: name the exact resource", name, get(st, "Action"), r)
					}
					for _, a := range list(get(st, "Action")) {
						if strings.HasPrefix(a.(string), "dynamodb:") {
							continue // TestStateTableGrants checks them (statetable_test.go)
						}
						got[role][a.(string)] = append(got[role][a.(string)], r)
					}
				}
			}
		}
		for _, rs := range got[role] {
			sort.Strings(rs)
		}
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		if ids := resources(tpl, typ); len(ids) > 0 {
			t.Errorf("unexpected %s resources %v: grant through the function roles", typ, ids)
		}
	}
	want := map[string]map[string][]string{
		edgeName + "Role": {
			"logs:CreateLogStream":          {edgeName + "LogGroup.Arn"}, // its own log group
			"logs:PutLogEvents":             {edgeName + "LogGroup.Arn"},
			"secretsmanager:GetSecretValue": {"SlackBotTokenArn", "SlackSigningSecretArn"}, // the signing secret, the bot token
			"lambda:InvokeFunction":         {workerName + ".Arn"},                         // the hand-off, nothing else
		},
		workerName + "Role": {
			"logs:CreateLogStream":          {workerName + "LogGroup.Arn"},
			"logs:PutLogEvents":             {workerName + "LogGroup.Arn"},
			"secretsmanager:GetSecretValue": {"AtlasSecretArn", "SlackBotTokenArn"}, // Atlas credentials, bot token: never the signing secret
			"sqs:SendMessage":               {failQueue + ".Arn"},                   // the on-failure destination
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IAM grants (-want +got):\n%s", diff)
	}
}

func TestSlashCommandRoute(t *testing.T) {
	tpl := cloudFormation(t)
	apis := resources(tpl, "AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("HTTP APIs = %v, want one", apis)
	}
	paths, _ := get(tpl, "Resources", apis[0], "Properties", "Body", "paths").(doc)
	var routes []string
	for path, ops := range paths {
		for method := range ops.(doc) {
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(routes)
	if diff := cmp.Diff([]string{"POST " + slashRoute, "POST " + interactionsRoute}, routes); diff != "" {
		t.Fatalf("routes (-want +got):\n%s", diff)
	}
	// Both routes go to the Slack function, which tells them apart by path.
	for _, route := range []string{slashRoute, interactionsRoute} {
		integ := get(paths, route, "post", "x-amazon-apigateway-integration")
		if v := get(integ, "payloadFormatVersion"); v != "2.0" {
			t.Errorf("%s: payloadFormatVersion = %v, want 2.0", route, v)
		}
		if uri := ref(get(integ, "uri")); !strings.Contains(uri, "${"+edgeName+".Arn}") {
			t.Errorf("%s: integration uri = %s, want the %s", route, uri, edgeName)
		}
	}
	outputs, _ := get(tpl, "Outputs").(doc)
	if url, _ := get(outputs, "SlackInteractionsUrl", "Value", "Fn::Sub").(string); !strings.HasSuffix(url, interactionsRoute) {
		t.Errorf("SlackInteractionsUrl = %v, want the API's URL ending in %s", get(outputs, "SlackInteractionsUrl", "Value"), interactionsRoute)
	}
}

func TestWorkerAsyncInvokeConfig(t *testing.T) {
	tpl := cloudFormation(t)
	configs := resources(tpl, "AWS::Lambda::EventInvokeConfig")
	if len(configs) != 1 {
		t.Fatalf("EventInvokeConfigs = %v, want one", configs)
	}
	p := get(tpl, "Resources", configs[0], "Properties")
	got := map[string]any{
		"FunctionName":             ref(get(p, "FunctionName")),
		"MaximumRetryAttempts":     get(p, "MaximumRetryAttempts"),
		"MaximumEventAgeInSeconds": get(p, "MaximumEventAgeInSeconds"),
		"OnFailure":                ref(get(p, "DestinationConfig", "OnFailure", "Destination")),
	}
	want := map[string]any{
		"FunctionName": workerName,
		// Safe because the worker is idempotent by workspace name.
		"MaximumRetryAttempts":     2.0,
		"MaximumEventAgeInSeconds": 900.0,
		"OnFailure":                failQueue + ".Arn",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventInvokeConfig (-want +got):\n%s", diff)
	}
	if typ := get(tpl, "Resources", failQueue, "Type"); typ != "AWS::SQS::Queue" {
		t.Errorf("%s is a %v, want an SQS queue", failQueue, typ)
	}

	var alarmed bool
	for _, id := range resources(tpl, "AWS::CloudWatch::Alarm") {
		p := get(tpl, "Resources", id, "Properties")
		if get(p, "MetricName") == "ApproximateNumberOfMessagesVisible" &&
			get(p, "Namespace") == "AWS/SQS" &&
			ref(get(p, "Dimensions", "0", "Value")) == failQueue+".QueueName" {
			alarmed = true
		}
	}
	if !alarmed {
		t.Errorf("no alarm on %s's ApproximateNumberOfMessagesVisible", failQueue)
	}
}

func TestOutputsAndParameters(t *testing.T) {
	tpl := cloudFormation(t)
	outputs, _ := get(tpl, "Outputs").(doc)
	var names []string
	for k := range outputs {
		names = append(names, k)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"CreateFunctionName", "FailureQueueUrl", "SlackCommandUrl", "SlackInteractionsUrl"}, names); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if url, _ := get(outputs, "SlackCommandUrl", "Value", "Fn::Sub").(string); !strings.HasPrefix(url, "https://${SlackApi}.execute-api.") || !strings.HasSuffix(url, slashRoute) {
		t.Errorf("SlackCommandUrl = %v, want the API's URL ending in %s", get(outputs, "SlackCommandUrl", "Value"), slashRoute)
	}
	if got := ref(get(outputs, "CreateFunctionName", "Value")); got != workerName {
		t.Errorf("CreateFunctionName = %s, want a Ref to %s", got, workerName)
	}
	if got := ref(get(outputs, "FailureQueueUrl", "Value")); got != failQueue {
		t.Errorf("FailureQueueUrl = %s, want a Ref to %s", got, failQueue)
	}

	params := get(tpl, "Parameters")
	if diff := cmp.Diff([]any{"debug", "info", "warn", "error"}, get(params, "LogLevel", "AllowedValues")); diff != "" {
		t.Errorf("LogLevel AllowedValues (-want +got):\n%s", diff)
	}
	if d := get(params, "AccessPolicy", "Default"); d != "" {
		t.Errorf("AccessPolicy default = %q, want empty (the packaged policy, deny all without one)", d)
	}
	for _, p := range []string{"SlackSigningSecretArn", "SlackBotTokenArn", "AtlasSecretArn"} {
		pattern, _ := get(params, p, "AllowedPattern").(string)
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Fatalf("%s AllowedPattern: %v", p, err)
		}
		for arn, ok := range map[string]bool{
			"arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-AbCdEf": true,
			"arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack":        false, // partial ARN: IAM would not match
			"streambot/slack": false,
		} {
			if re.MatchString(arn) != ok {
				t.Errorf("%s AllowedPattern matches %q = %v, want %v", p, arn, !ok, ok)
			}
		}
	}
}

// The logical IDs the tests name must exist, so that a rename fails loudly.
func TestNamedResourcesExist(t *testing.T) {
	tpl := cloudFormation(t)
	for _, id := range []string{edgeName, workerName, failQueue, edgeName + "Role", workerName + "Role"} {
		if get(tpl, "Resources", id) == nil {
			t.Errorf("resource %s is missing", id)
		}
	}
	if !slices.Contains(resources(tpl, "AWS::Lambda::Permission"), edgeName+"SlashCommandPermission") {
		t.Errorf("no permission for API Gateway to invoke %s", edgeName)
	}
}

// Both functions have reserved concurrency from a parameter with a
// default: a burst of workers cannot take the whole account pool and leave
// the Slack edge unable to ack, and the workers are capped. 0 reserves none.
func TestReservedConcurrency(t *testing.T) {
	tpl := cloudFormation(t)
	for id, param := range map[string]string{edgeName: "SlackReservedConcurrency", workerName: "CreateReservedConcurrency"} {
		rce := get(tpl, "Resources", id, "Properties", "ReservedConcurrentExecutions", "Fn::If")
		cond, _ := get(rce, "0").(string)
		if ref(get(rce, "1")) != param || ref(get(rce, "2")) != "AWS::NoValue" {
			t.Errorf("%s ReservedConcurrentExecutions = %v, want Fn::If [cond, Ref %s, AWS::NoValue]", id, rce, param)
		}
		want := doc{"Fn::Not": []any{doc{"Fn::Equals": []any{doc{"Ref": param}, 0.0}}}}
		if diff := cmp.Diff(want, get(tpl, "Conditions", cond)); diff != "" {
			t.Errorf("condition %q (-want +got):\n%s", cond, diff)
		}
		p := get(tpl, "Parameters", param)
		if d, _ := get(p, "Default").(float64); d < 1 || get(p, "Type") != "Number" {
			t.Errorf("parameter %s = %v, want a Number with a default of at least 1", param, p)
		}
	}
	edge, _ := get(tpl, "Parameters", "SlackReservedConcurrency", "Default").(float64)
	worker, _ := get(tpl, "Parameters", "CreateReservedConcurrency", "Default").(float64)
	if edge < worker {
		t.Errorf("defaults: Slack %v < worker %v; the edge acks every command, the workers only accepted ones", edge, worker)
	}
}

// A Job whose answer reached nobody returns no error (a retry would post a
// second parent), so the failure queue never sees it: the worker's
// "job outcome lost" line is counted by a metric filter, and an alarm on
// that metric notifies the alarm topic.
func TestLostOutcomeAlarm(t *testing.T) {
	tpl := cloudFormation(t)
	filters := resources(tpl, "AWS::Logs::MetricFilter")
	if len(filters) != 1 {
		t.Fatalf("metric filters = %v, want one", filters)
	}
	p := get(tpl, "Resources", filters[0], "Properties")
	if got := ref(get(p, "LogGroupName")); got != workerName+"LogGroup" {
		t.Errorf("metric filter on %s, want the worker's log group", got)
	}
	// the worker logs JSON with slog's "msg" key
	if got, want := get(p, "FilterPattern"), `{ $.msg = `+strconv.Quote(provision.LogOutcomeLost)+` }`; got != want {
		t.Errorf("FilterPattern = %v, want %s", got, want)
	}
	mt := get(p, "MetricTransformations", "0")
	ns, name := get(mt, "MetricNamespace"), get(mt, "MetricName")
	if get(mt, "MetricValue") != "1" || ns == nil || name == nil {
		t.Fatalf("MetricTransformations = %v, want one that counts each line", get(p, "MetricTransformations"))
	}
	var alarmed bool
	for _, id := range resources(tpl, "AWS::CloudWatch::Alarm") {
		a := get(tpl, "Resources", id, "Properties")
		if cmp.Equal(get(a, "Namespace"), ns) && get(a, "MetricName") == name {
			alarmed = true
			if get(a, "Statistic") != "Sum" || get(a, "Threshold") != 0.0 || get(a, "ComparisonOperator") != "GreaterThanThreshold" ||
				get(a, "TreatMissingData") != "notBreaching" {
				t.Errorf("%s = %v, want an alarm on any lost outcome (Sum > 0, missing data not breaching)", id, a)
			}
			if actions := get(a, "AlarmActions", "Fn::If"); ref(get(actions, "1", "0")) != "AlarmTopicArn" {
				t.Errorf("%s AlarmActions = %v, want the AlarmTopicArn when given", id, get(a, "AlarmActions"))
			}
		}
	}
	if !alarmed {
		t.Errorf("no alarm on %v/%v", ns, name)
	}
}
