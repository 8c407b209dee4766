// pulumi-resource-command for the test harness: the Go module proxy serves no build of the
// pulumi-command provider module, so this plugin implements the resource the program uses,
// command:local:Command, with the published provider's semantics: create runs `create`; a change
// to any input but `triggers` is an update that runs `update` (or `create` when there is no
// `update`), with the previous stdout/stderr in PULUMI_COMMAND_STDOUT/STDERR; delete runs
// `delete`; the interpreter defaults to /bin/sh -c; stdout/stderr are kept without their final
// newline and streamed to the engine log as `logging` says. It is installed at the version the
// npm package @pulumi/command asks for (see test/harness/versions.sh).
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"openstack-helm-pulumi/harness/plugins/internal/rpcbase"
)

// version is set at build time to the npm package's pulumi.version.
var version = "0.0.0"

const commandType = "command:local:Command"

var commandInputs = []string{
	"addPreviousOutputInEnv", "archivePaths", "assetPaths", "create", "delete", "dir",
	"environment", "interpreter", "logging", "stdin", "triggers", "update",
}

type commandProvider struct {
	rpcbase.Base
	host *provider.HostClient
}

func checkType(urn string) error {
	if t := resource.URN(urn).Type(); t != commandType {
		return fmt.Errorf("unknown resource type %q (this harness provider implements %s)", t, commandType)
	}
	return nil
}

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := rpcbase.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for _, k := range []string{"assetPaths", "archivePaths"} {
		if v, ok := news[resource.PropertyKey(k)]; ok && !v.IsNull() {
			failures = append(failures, &pulumirpc.CheckFailure{Property: k, Reason: k + " is not supported by the harness provider"})
		}
	}
	if v, ok := news["logging"]; ok && v.IsString() {
		switch v.StringValue() {
		case "stdout", "stderr", "stdoutAndStderr", "none":
		default:
			failures = append(failures, &pulumirpc.CheckFailure{Property: "logging", Reason: "must be stdout, stderr, stdoutAndStderr or none"})
		}
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// Diff: a change to triggers replaces the command; any other input change is an update.
func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return rpcbase.Diff(req, commandInputs, func(k string) bool { return k == "triggers" })
}

func str(m resource.PropertyMap, k string) (string, bool) {
	v, ok := m[resource.PropertyKey(k)]
	if !ok || !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

// run executes one of the command's scripts and records stdout/stderr in state.
func (p *commandProvider) run(ctx context.Context, urn, script string, state resource.PropertyMap) error {
	args := []string{"/bin/sh", "-c"}
	if v, ok := state["interpreter"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 {
		args = args[:0]
		for _, a := range v.ArrayValue() {
			args = append(args, a.StringValue())
		}
	}
	args = append(args, script)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if dir, ok := str(state, "dir"); ok {
		cmd.Dir = dir
	}
	cmd.Env = os.Environ()
	if v, ok := state["environment"]; ok && v.IsObject() {
		for k, e := range v.ObjectValue() {
			cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s", k, e.StringValue()))
		}
	}
	if v, ok := state["addPreviousOutputInEnv"]; !ok || !v.IsBool() || v.BoolValue() {
		if s, ok := str(state, "stdout"); ok && s != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+s)
		}
		if s, ok := str(state, "stderr"); ok && s != "" {
			cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+s)
		}
	}
	if s, ok := str(state, "stdin"); ok && s != "" {
		cmd.Stdin = strings.NewReader(s)
	}
	logging, ok := str(state, "logging")
	if !ok {
		logging = "stdoutAndStderr"
	}
	var stdout, stderr, both bytes.Buffer
	var bothMu sync.Mutex
	logR, logW := io.Pipe()
	outs := []io.Writer{&stdout, lockedWriter{&both, &bothMu}}
	errs := []io.Writer{&stderr, lockedWriter{&both, &bothMu}}
	if logging == "stdout" || logging == "stdoutAndStderr" {
		outs = append(outs, logW)
	}
	if logging == "stderr" || logging == "stdoutAndStderr" {
		errs = append(errs, logW)
	}
	cmd.Stdout = io.MultiWriter(outs...)
	cmd.Stderr = io.MultiWriter(errs...)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(logR)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if p.host != nil {
				_ = p.host.Log(ctx, diag.Info, resource.URN(urn), sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, logR)
	}()
	err := cmd.Run()
	logW.Close()
	<-logged
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, script, both.String())
	}
	state["stdout"] = resource.NewStringProperty(strings.TrimSuffix(stdout.String(), "\n"))
	state["stderr"] = resource.NewStringProperty(strings.TrimSuffix(stderr.String(), "\n"))
	return nil
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetUrn()); err != nil {
		return nil, err
	}
	state, err := rpcbase.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, err := resource.NewUniqueHex(resource.URN(req.GetUrn()).Name(), 8, 0)
	if err != nil {
		return nil, err
	}
	if script, ok := str(state, "create"); ok {
		if err := p.run(ctx, req.GetUrn(), script, state); err != nil {
			return nil, err
		}
	}
	out, err := rpcbase.Marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := rpcbase.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	state, err := rpcbase.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"stdout", "stderr"} {
		if v, ok := olds[k]; ok {
			state[k] = v
		}
	}
	script, ok := str(state, "update")
	if !ok {
		script, ok = str(state, "create")
	}
	if ok {
		if err := p.run(ctx, req.GetUrn(), script, state); err != nil {
			return nil, err
		}
	}
	out, err := rpcbase.Marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	state, err := rpcbase.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if script, ok := str(state, "delete"); ok {
		if err := p.run(ctx, req.GetUrn(), script, state); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &commandProvider{Base: rpcbase.Base{Version: version}, host: host}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
