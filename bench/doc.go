// Package bench holds streambot's end-to-end performance measurements,
// run by `make bench` and reported in BENCHMARKS.md (issue 7). They are Go
// benchmarks in this package's test files, so `go test` builds and runs
// them with the tools the tests already use:
//
//   - BenchmarkFirstAck: process start → first acknowledged slash command
//     for `streambot serve`, the bare Go floor (bench/floor) and the Bolt-JS
//     peer (bench/peers/bolt-js), interleaved, with the same requests.
//   - BenchmarkWarmAck: warm acknowledgement latency of the same three,
//     for slash commands (a dry run, a create) and a button click.
//   - BenchmarkLambdaColdStart: the Slack function's cold start under the
//     Lambda Runtime Interface Emulator with its signing secret in
//     moto_server, beside the emulator floor (a hello bootstrap) and one
//     GetSecretValue round trip to the same moto_server.
//   - BenchmarkLambdaWarmInvoke: warm invocations of the same.
//   - BenchmarkLambdaFormOpen: `/stream create` with no arguments under the
//     emulator, from the event to views.open reaching a recording Slack
//     (issue 13's 3-second trigger_id), cold and warm.
//   - BenchmarkLambdaClick: a button click under the emulator, from the
//     event to the Job's Invoke reaching Lambda (a stub), cold and warm.
//   - BenchmarkBootstrapSize: both functions built for linux/arm64 as the
//     Makefile builds them, and their zip sizes.
//
// The load tool is bench/slashload. Flags (after -args): -runs (cold
// starts per server, default 20), -invokes (warm requests, default 200)
// and -rounds (pooled rounds of warm requests per server, default 3).
// Nothing here runs in `make test`: benchmarks run only with -bench.
package bench
