package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"openstack-helm-pulumi/harness/plugins/internal/rpcbase"
)

const urn = "urn:pulumi:dev::p::command:local:Command::c"

func props(kv map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(kv) }

func diff(t *testing.T, olds, news map[string]any) *pulumirpc.DiffResponse {
	o, _ := rpcbase.Marshal(props(olds))
	n, _ := rpcbase.Marshal(props(news))
	d, err := (&commandProvider{}).Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Olds: o, News: n})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiffReplacesOnlyOnTriggers(t *testing.T) {
	base := map[string]any{"create": "echo a", "triggers": []any{"1"}, "stdout": "a"}
	if d := diff(t, base, map[string]any{"create": "echo a", "triggers": []any{"1"}}); d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("outputs in the old state are not inputs: %v", d)
	}
	if d := diff(t, base, map[string]any{"create": "echo b", "triggers": []any{"1"}}); d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 0 {
		t.Fatalf("a new create script is an update: %v", d)
	}
	if d := diff(t, base, map[string]any{"create": "echo a", "triggers": []any{"2"}}); len(d.Replaces) != 1 || d.Replaces[0] != "triggers" {
		t.Fatalf("new triggers replace: %v", d)
	}
}

func run(t *testing.T, state resource.PropertyMap, script string) error {
	return (&commandProvider{}).run(context.Background(), urn, script, state)
}

func TestRunCapturesTrimmedOutputWithEnvironmentAndInterpreter(t *testing.T) {
	state := props(map[string]any{
		"interpreter": []any{"/bin/bash", "-c"}, "environment": map[string]any{"GREETING": "hi"}, "stdin": "from-stdin",
	})
	if err := run(t, state, `echo "$GREETING $BASH_VERSION" | cut -d' ' -f1; read -r x; echo "$x" >&2`); err != nil {
		t.Fatal(err)
	}
	if state["stdout"].StringValue() != "hi" || state["stderr"].StringValue() != "from-stdin" {
		t.Fatalf("got stdout %q stderr %q", state["stdout"].StringValue(), state["stderr"].StringValue())
	}
}

func TestUpdateSeesPreviousOutputAndFailuresCarryTheOutput(t *testing.T) {
	state := props(map[string]any{"stdout": "old"})
	if err := run(t, state, `echo "was $PULUMI_COMMAND_STDOUT"`); err != nil {
		t.Fatal(err)
	}
	if state["stdout"].StringValue() != "was old" {
		t.Fatalf("got %q", state["stdout"].StringValue())
	}
	err := run(t, props(map[string]any{}), `echo boom >&2; exit 3`)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("got %v", err)
	}
}

func TestCheckRefusesWhatItDoesNotImplement(t *testing.T) {
	s, _ := rpcbase.Marshal(props(map[string]any{"create": "true", "assetPaths": []any{"*"}, "logging": "loud"}))
	resp, err := (&commandProvider{}).Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: s})
	if err != nil || len(resp.Failures) != 2 {
		t.Fatalf("want failures for assetPaths and logging, got %v %v", resp.GetFailures(), err)
	}
}
