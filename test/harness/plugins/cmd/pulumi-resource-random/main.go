// pulumi-resource-random for the test harness: the Go module proxy serves no build of the
// pulumi-random provider module, so this plugin implements the two resources the program uses,
// RandomPassword and RandomUuid, with the same tokens, property names, defaults and
// replace-on-any-change behaviour as the published provider. It is installed at the version the
// npm package @pulumi/random asks for (see test/harness/versions.sh).
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/types/known/emptypb"

	"openstack-helm-pulumi/harness/plugins/internal/rpcbase"
)

// version is set at build time to the npm package's pulumi.version.
var version = "0.0.0"

const (
	passwordType = "random:index/randomPassword:RandomPassword"
	uuidType     = "random:index/randomUuid:RandomUuid"

	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	// The published provider's default special characters.
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

var passwordInputs = []string{
	"keepers", "length", "lower", "minLower", "minNumeric", "minSpecial", "minUpper",
	"number", "numeric", "overrideSpecial", "special", "upper",
}

var uuidInputs = []string{"keepers"}

type randomProvider struct {
	rpcbase.Base
}

func inputKeys(urn string) ([]string, error) {
	switch resource.URN(urn).Type() {
	case passwordType:
		return passwordInputs, nil
	case uuidType:
		return uuidInputs, nil
	}
	return nil, fmt.Errorf("unknown resource type %q (this harness provider implements %s and %s)",
		resource.URN(urn).Type(), passwordType, uuidType)
}

func (p *randomProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := rpcbase.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	if resource.URN(req.GetUrn()).Type() == passwordType {
		for _, k := range []string{"lower", "upper", "numeric", "number", "special"} {
			if _, ok := news[resource.PropertyKey(k)]; !ok {
				news[resource.PropertyKey(k)] = resource.NewBoolProperty(true)
			}
		}
		for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
			if _, ok := news[resource.PropertyKey(k)]; !ok {
				news[resource.PropertyKey(k)] = resource.NewNumberProperty(0)
			}
		}
		if l, ok := news["length"]; !ok {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length is required"})
		} else if l.IsNumber() && l.NumberValue() < 1 {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length must be at least 1"})
		}
	} else if _, err := inputKeys(req.GetUrn()); err != nil {
		return nil, err
	}
	inputs, err := rpcbase.Marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff: every input of a random resource forces a new value, as in the published provider.
func (p *randomProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	keys, err := inputKeys(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return rpcbase.Diff(req, keys, func(string) bool { return true })
}

func (p *randomProvider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	props, err := rpcbase.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	var id string
	switch resource.URN(req.GetUrn()).Type() {
	case passwordType:
		result, err := password(props)
		if err != nil {
			return nil, err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		props["result"] = resource.NewStringProperty(result)
		props["bcryptHash"] = resource.NewStringProperty(string(hash))
		id = "none"
	case uuidType:
		u, err := uuid4()
		if err != nil {
			return nil, err
		}
		props["result"] = resource.NewStringProperty(u)
		id = u
	default:
		_, err := inputKeys(req.GetUrn())
		return nil, err
	}
	out, err := rpcbase.Marshal(props)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (p *randomProvider) Update(context.Context, *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	return nil, fmt.Errorf("random resources are replaced, never updated")
}

func (p *randomProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func boolProp(m resource.PropertyMap, k string) bool {
	v, ok := m[resource.PropertyKey(k)]
	return !ok || !v.IsBool() || v.BoolValue()
}

func intProp(m resource.PropertyMap, k string) int {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

func pick(chars string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[n.Int64()], nil
}

// password draws the minimum of each required class first, fills up from every enabled class,
// then shuffles, so the minimums hold without biasing positions.
func password(m resource.PropertyMap) (string, error) {
	length := intProp(m, "length")
	special := specialChars
	if v, ok := m["overrideSpecial"]; ok && v.IsString() {
		special = v.StringValue()
	}
	numeric := boolProp(m, "numeric") && boolProp(m, "number")
	classes := []struct {
		on    bool
		chars string
		min   int
	}{
		{boolProp(m, "lower"), lowerChars, intProp(m, "minLower")},
		{boolProp(m, "upper"), upperChars, intProp(m, "minUpper")},
		{numeric, numericChars, intProp(m, "minNumeric")},
		{boolProp(m, "special"), special, intProp(m, "minSpecial")},
	}
	var all string
	var out []byte
	for _, c := range classes {
		if !c.on || c.chars == "" {
			continue
		}
		all += c.chars
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return "", err
			}
			out = append(out, b)
		}
	}
	if all == "" {
		return "", fmt.Errorf("every character class is disabled")
	}
	if len(out) > length {
		return "", fmt.Errorf("length %d is shorter than the sum of the minimums (%d)", length, len(out))
	}
	for len(out) < length {
		b, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, b)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func uuid4() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

func main() {
	err := provider.Main("random", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &randomProvider{Base: rpcbase.Base{Version: version}}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
