// Package lambdatest runs real Lambda `bootstrap` binaries the way AWS Lambda
// runs them: built like the deployed functions, started by the AWS Lambda
// Runtime Interface Emulator (RIE), invoked over the Lambda Invoke API on
// 127.0.0.1.
//
// A test builds a function, starts it and invokes it:
//
//	bootstrap := lambdatest.BuildFunction(t, "./functions/slack")
//	fn := lambdatest.Start(t, bootstrap, map[string]string{"LOG_LEVEL": "debug"})
//	out, err := fn.Invoke(ctx, eventJSON)
//
// What the emulator (version [RIEVersion]) does, read from its source:
//   - It serves only POST /2015-03-31/functions/function/invocations: the
//     function name in the path must be "function"; other names get a 404.
//   - It ignores X-Amz-Invocation-Type: an Event invocation runs
//     synchronously and answers 200 with the function's result. [EventRelay]
//     puts the real asynchronous behaviour (202 at once) in front of it.
//   - It runs one invocation at a time; two concurrent invocations crash it
//     (nil pointer panic in rapidcore), so [Function.Invoke] serialises them,
//     as one Lambda execution environment would.
//   - A handler error comes back as 200 with an {"errorMessage","errorType"}
//     body and no X-Amz-Function-Error header; [Function.Invoke] turns it into
//     a [*FunctionError].
//   - It starts the bootstrap lazily, on the first invocation (so the first
//     invoke includes the init phase, as a Lambda cold start does), with the
//     emulator's whole environment plus AWS_LAMBDA_RUNTIME_API, in the
//     emulator's working directory, in a process group of its own.
//   - It listens on 0.0.0.0:8080 and serves the Runtime API on 127.0.0.1:9001
//     unless told otherwise; [Start] passes --runtime-interface-emulator-address
//     and --runtime-api-address with free loopback ports.
//   - AWS_LAMBDA_FUNCTION_TIMEOUT (seconds, default 300),
//     AWS_LAMBDA_FUNCTION_NAME (default "test_function") and
//     AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 3008) configure it; on SIGTERM
//     it kills the bootstrap's process group and exits.
//
// Everything binds 127.0.0.1 and stops in t.Cleanup.
package lambdatest

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// RIEModule is the Go module of the AWS Lambda Runtime Interface Emulator.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator"

// RIEPackage is the main package of the aws-lambda-rie command.
const RIEPackage = RIEModule + "/cmd/aws-lambda-rie"

// RIEVersion is the emulator version the tests run. The module publishes no
// semver tag through the Go proxy, so this is a pseudo-version.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIEEnv names the environment variable that may hold the path of an
// aws-lambda-rie binary installed beforehand (the Makefile sets it). The
// binary must have been built from [RIEPackage] at [RIEVersion].
const RIEEnv = "STREAMBOT_RIE"

// rieBinary is the file name go install gives the emulator.
const rieBinary = "aws-lambda-rie"

// BuildFlags are the go build flags of the deployed functions (see the
// Makefile): no RPC shim, reproducible paths, no symbols. BuildFunction uses
// them with CGO_ENABLED=0 for the host's GOOS and GOARCH.
var BuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"}

// InstallCommand returns the shell command that installs the emulator into
// dir, exactly as [RIE] does.
func InstallCommand(dir string) string {
	return "GOBIN=" + dir + " go install " + RIEPackage + "@" + RIEVersion
}

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// moduleRoot returns the directory of streambot's go.mod.
func moduleRoot() (string, error) {
	rootOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			rootErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			rootErr = errors.New("not inside a Go module")
			return
		}
		rootDir = filepath.Dir(gomod)
	})
	return rootDir, rootErr
}

var rie struct {
	once sync.Once
	path string
	err  error
}

// RIE returns the path of an aws-lambda-rie binary built from [RIEPackage]
// at [RIEVersion]. It uses, in this order: the binary named by $STREAMBOT_RIE
// (which must be that version); bin/tools/aws-lambda-rie under the module
// root if it is that version; otherwise it installs that version there with
// go install (see [InstallCommand]). Any failure ends the test with t.Fatal:
// the Go module proxy is always reachable where the tests run.
func RIE(t testing.TB) string {
	t.Helper()
	rie.once.Do(func() { rie.path, rie.err = findRIE() })
	if rie.err != nil {
		t.Fatalf("lambdatest: aws-lambda-rie: %v", rie.err)
	}
	return rie.path
}

func findRIE() (string, error) {
	if p := os.Getenv(RIEEnv); p != "" {
		if err := checkRIE(p); err != nil {
			return "", fmt.Errorf("$%s: %w", RIEEnv, err)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bin", "tools")
	p := filepath.Join(dir, rieBinary)
	if checkRIE(p) == nil {
		return p, nil
	}
	if err := installRIE(dir); err != nil {
		return "", err
	}
	return p, checkRIE(p)
}

// checkRIE reports whether path is an executable built from RIEPackage at
// RIEVersion.
func checkRIE(path string) error {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return err
	}
	if info.Path != RIEPackage || info.Main.Version != RIEVersion {
		return fmt.Errorf("%s is %s@%s, want %s@%s", path, info.Path, info.Main.Version, RIEPackage, RIEVersion)
	}
	return nil
}

// installRIE runs go install into a fresh directory inside dir and renames
// the result into dir, so test binaries installing at the same time never
// see a half-written file.
func installRIE(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", RIEPackage+"@"+RIEVersion)
	cmd.Dir = tmp // outside any go.mod's influence: pkg@version ignores it anyway
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOOS=", "GOARCH=", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", InstallCommand(dir), err, out)
	}
	return os.Rename(filepath.Join(tmp, rieBinary), filepath.Join(dir, rieBinary))
}

var builds struct {
	mu   sync.Mutex
	dir  string
	pkgs map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// BuildFunction builds the Lambda function in pkgPath the way the Makefile
// builds it for Lambda (CGO_ENABLED=0 and [BuildFlags]), but for the host's
// GOOS and GOARCH so it runs here, and returns the path of a file named
// bootstrap in a fresh t.TempDir(). pkgPath is an import path or a directory
// relative to the module root ("./functions/slack"). Each package is built
// once per test binary; every caller gets its own copy in its own directory,
// which is also the function's working directory under [Start] (like
// /var/task), so a test can put files beside it.
func BuildFunction(t testing.TB, pkgPath string) string {
	t.Helper()
	src, err := cachedBuild(pkgPath)
	if err != nil {
		t.Fatalf("lambdatest: build %s: %v", pkgPath, err)
	}
	dst := filepath.Join(t.TempDir(), "bootstrap")
	if err := linkOrCopy(src, dst); err != nil {
		t.Fatalf("lambdatest: copy bootstrap: %v", err)
	}
	return dst
}

func cachedBuild(pkgPath string) (string, error) {
	builds.mu.Lock()
	if builds.pkgs == nil {
		builds.pkgs = map[string]*build{}
	}
	b := builds.pkgs[pkgPath]
	if b == nil {
		b = &build{}
		builds.pkgs[pkgPath] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() { b.path, b.err = goBuild(pkgPath) })
	return b.path, b.err
}

// goBuild builds pkgPath into the per-process cache directory.
func goBuild(pkgPath string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp(dir, "fn-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(out, "bootstrap")
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", bin, pkgPath)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return bin, nil
}

// cacheDir returns this test process's build directory, creating it on first
// use. The directory name carries the process id; directories left by test
// processes that no longer run are removed then, since a test binary has no
// hook that runs after its last test.
func cacheDir() (string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir != "" {
		return builds.dir, nil
	}
	const prefix = "streambot-lambdatest-"
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range old {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), prefix+"%d", &pid); err == nil && pid != os.Getpid() && !Alive(pid) {
			os.RemoveAll(d)
		}
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d", prefix, os.Getpid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	builds.dir = dir
	return dir, nil
}

// linkOrCopy hard-links src to dst, or copies it where linking fails.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
