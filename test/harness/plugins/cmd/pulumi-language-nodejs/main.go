// pulumi-language-nodejs for the test harness. The published language host lives in a Go module
// of its own with no tagged versions, and the Go module proxy serves none of its builds, so the
// harness carries this small one: it reports the resource plugins the program's node_modules ask
// for and runs the program with the @pulumi/pulumi SDK's own runner (node .../cmd/run), passing
// the engine's monitor address, config and options the way the SDK expects them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time to the @pulumi/pulumi version the harness pins.
var version = "0.0.0"

// Exit code the SDK's runner uses after it has already shown the user an actionable message.
const exitAfterUserMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// resourcePackages walks node_modules (following symlinks, each real directory once) for
// packages that declare `"pulumi": {"resource": true}`.
func resourcePackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	seen := map[string]bool{}
	found := map[string]*pulumirpc.PackageDependency{}
	var walk func(nodeModules string) error
	walk = func(nodeModules string) error {
		real, err := filepath.EvalSymlinks(nodeModules)
		if err != nil || seen[real] {
			return nil
		}
		seen[real] = true
		entries, err := os.ReadDir(real)
		if err != nil {
			return nil
		}
		for _, e := range entries {
			dir := filepath.Join(real, e.Name())
			if strings.HasPrefix(e.Name(), "@") {
				scoped, _ := os.ReadDir(dir)
				for _, s := range scoped {
					if err := visit(filepath.Join(dir, s.Name()), found, walk); err != nil {
						return err
					}
				}
				continue
			}
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := visit(dir, found, walk); err != nil {
				return err
			}
		}
		return nil
	}
	for dir := programDir; ; dir = filepath.Dir(dir) {
		if err := walk(filepath.Join(dir, "node_modules")); err != nil {
			return nil, err
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	var out []*pulumirpc.PackageDependency
	for _, d := range found {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].Version < out[j].Name+out[j].Version })
	return out, nil
}

func visit(dir string, found map[string]*pulumirpc.PackageDependency, walk func(string) error) error {
	var pkg packageJSON
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil && json.Unmarshal(raw, &pkg) == nil && pkg.Pulumi != nil && pkg.Pulumi.Resource {
		name := pkg.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(pkg.Name, "@pulumi/")
		}
		v := pkg.Pulumi.Version
		if v == "" {
			v = pkg.Version
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		found[name+"@"+v] = &pulumirpc.PackageDependency{Kind: "resource", Name: name, Version: v, Server: pkg.Pulumi.Server}
	}
	return walk(filepath.Join(dir, "node_modules"))
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return pwd
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := resourcePackages(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) { //nolint:staticcheck
	pkgs, err := resourcePackages(programDir(req.GetInfo(), req.GetPwd())) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{Kind: p.Kind, Name: p.Name, Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// runnerPath finds the SDK's program runner from the program directory upwards.
func runnerPath(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if _, err := os.Stat(filepath.Join(p, "index.js")); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("@pulumi/pulumi is not installed under %s: run `npm ci` first", dir)
		}
	}
}

func option(info *pulumirpc.ProgramInfo, key string) (any, bool) {
	if info == nil || info.GetOptions() == nil {
		return nil, false
	}
	v, ok := info.GetOptions().AsMap()[key]
	return v, ok
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH"}, nil
	}
	info := req.GetInfo()
	pwd := req.GetPwd()
	runner, err := runnerPath(programDir(info, pwd))
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	var args []string
	if v, ok := option(info, "nodeargs"); ok {
		if s, ok := v.(string); ok && s != "" {
			args = append(args, strings.Fields(s)...)
		}
	}
	args = append(args, runner)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	if info != nil {
		add("root-directory", info.GetRootDirectory())
	}
	add("stack", req.GetStack())
	add("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	typescript := true
	if v, ok := option(info, "typescript"); ok {
		if b, ok := v.(bool); ok {
			typescript = b
		}
	}
	if typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if v, ok := option(info, "tsconfig"); ok {
		if s, ok := v.(string); ok && s != "" {
			env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+s)
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = pwd
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
}

// InstallDependencies: the harness runs `npm ci` itself, before any pulumi command.
func (h *host) InstallDependencies(_ *pulumirpc.InstallDependenciesRequest, _ pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	return nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, _ := exec.Command("node", "--version").Output()
	return &pulumirpc.AboutResponse{Executable: "node", Version: strings.TrimSpace(string(out))}, nil
}

func main() {
	// The engine passes logging/tracing flags first and its own address last.
	h := &host{}
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			h.engineAddress = a
		}
	}
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println(version)
		return
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start the language host: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host stopped: %v\n", err)
		os.Exit(1)
	}
}
