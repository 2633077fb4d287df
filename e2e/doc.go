// Package e2e proves streambot the way AWS runs it. Its tests build the
// exact `bootstrap` binaries SAM ships (functions/slack and
// functions/create, with the Lambda build flags, for the host), run each
// under the AWS Lambda Runtime Interface Emulator, and let them talk through
// the real AWS SDK to moto_server (Secrets Manager) and to a relay that
// gives the emulator Lambda's asynchronous invoke, to an in-memory Atlas
// that follows MongoDB's spec (pkg/atlas/atlastest) and to a recording
// Slack (internal/reply/slackrec). Slash commands go in as API Gateway
// sends them: HTTP API payload 2.0 events with a base64 form body, signed
// the moment they are sent.
//
// The package has no non-test code; see the _test.go files:
//
//	stack_test.go     one deployment per test: services, secrets, functions
//	flow_test.go      the happy paths, denials, malformed commands
//	form_test.go      the create form: views.open, view_submission, shortcut
//	faults_test.go    Atlas and Slack faults, broken and rotated secrets,
//	                  a worker killed mid-Job
//	security_test.go  signatures, policy, escaping, secrets in logs
//	load_test.go      bounded load through `streambot serve` and through
//	                  a pool of emulators (`make load`)
//
// Every server binds 127.0.0.1 and stops when its test ends.
package e2e
