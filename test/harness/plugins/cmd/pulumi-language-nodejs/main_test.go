package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResourcePackagesFollowsSymlinksScopesAndNesting(t *testing.T) {
	real := t.TempDir()
	nm := filepath.Join(real, "node_modules")
	write(t, filepath.Join(nm, "@pulumi/kubernetes/package.json"), `{"name":"@pulumi/kubernetes","version":"4.25.0","pulumi":{"resource":true,"name":"kubernetes","version":"4.25.0"}}`)
	write(t, filepath.Join(nm, "@pulumi/random/package.json"), `{"name":"@pulumi/random","version":"4.21.1","pulumi":{"resource":true}}`)
	write(t, filepath.Join(nm, "@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi","version":"3.248.0"}`)
	write(t, filepath.Join(nm, "other/node_modules/@pulumi/command/package.json"), `{"name":"@pulumi/command","version":"9.9.9","pulumi":{"resource":true,"name":"command","version":"1.2.1"}}`)
	project := t.TempDir()
	if err := os.Symlink(nm, filepath.Join(project, "node_modules")); err != nil {
		t.Fatal(err)
	}
	pkgs, err := resourcePackages(project)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Kind+":"+p.Name+"@"+p.Version)
	}
	want := "resource:command@v1.2.1 resource:kubernetes@v4.25.0 resource:random@v4.21.1"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestRunnerPathNamesTheFix(t *testing.T) {
	if _, err := runnerPath(t.TempDir()); err == nil || !strings.Contains(err.Error(), "npm ci") {
		t.Fatalf("got %v", err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "node_modules/@pulumi/pulumi/cmd/run/index.js"), "")
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := runnerPath(sub); err != nil || p != filepath.Join(dir, "node_modules/@pulumi/pulumi/cmd/run") {
		t.Fatalf("got %q %v", p, err)
	}
}
