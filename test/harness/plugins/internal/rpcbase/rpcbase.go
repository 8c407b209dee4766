// Package rpcbase holds what the harness's resource providers share: plugin identity, the
// provider-level RPCs they answer the same way, and property (un)marshalling.
package rpcbase

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Base answers the provider-level RPCs: no provider configuration, plain (non-secret) values,
// no preview support (the engine then shows computed outputs as unknown during preview).
type Base struct {
	pulumirpc.UnimplementedResourceProviderServer
	Version string
}

func (b *Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: b.Version}, nil
}

func (b *Base) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: "{}"}, nil
}

func (b *Base) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (b *Base) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (b *Base) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: false}, nil
}

func (b *Base) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Read returns the recorded state: these resources have nothing to look up elsewhere.
func (b *Base) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Unmarshal decodes a property bag, keeping unknowns (preview) as unknown values.
func Unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true})
}

// Marshal encodes a property bag for the engine.
func Marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true})
}

// Diff compares a diff request's old state and new inputs over inputKeys; replace says which
// of the changed keys force a replacement.
func Diff(req *pulumirpc.DiffRequest, inputKeys []string, replace func(key string) bool) (*pulumirpc.DiffResponse, error) {
	olds, err := Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	changed := ChangedKeys(olds, news, inputKeys)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var replaces []string
	for _, k := range changed {
		if replace(k) {
			replaces = append(replaces, k)
		}
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces}, nil
}

// ChangedKeys lists the keys among inputKeys whose value differs between olds and news
// (an unknown new value counts as a change).
func ChangedKeys(olds, news resource.PropertyMap, inputKeys []string) []string {
	var changed []string
	for _, k := range inputKeys {
		o, hasO := olds[resource.PropertyKey(k)]
		n, hasN := news[resource.PropertyKey(k)]
		if hasO && o.IsNull() {
			hasO = false
		}
		if hasN && n.IsNull() {
			hasN = false
		}
		switch {
		case !hasO && !hasN:
		case hasO != hasN:
			changed = append(changed, k)
		case n.ContainsUnknowns():
			changed = append(changed, k)
		case !o.DeepEquals(n):
			changed = append(changed, k)
		}
	}
	return changed
}
