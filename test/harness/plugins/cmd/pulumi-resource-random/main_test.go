package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"openstack-helm-pulumi/harness/plugins/internal/rpcbase"
)

const passwordURN = "urn:pulumi:dev::p::random:index/randomPassword:RandomPassword::pw"

func count(s, chars string) int {
	n := 0
	for _, c := range s {
		if strings.ContainsRune(chars, c) {
			n++
		}
	}
	return n
}

func TestPasswordHonoursLengthClassesAndMinimums(t *testing.T) {
	for i := 0; i < 200; i++ {
		pw, err := password(resource.PropertyMap{
			"length": resource.NewNumberProperty(12), "special": resource.NewBoolProperty(false),
			"minLower": resource.NewNumberProperty(2), "minUpper": resource.NewNumberProperty(3), "minNumeric": resource.NewNumberProperty(4),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 12 || count(pw, lowerChars) < 2 || count(pw, upperChars) < 3 || count(pw, numericChars) < 4 || count(pw, specialChars) != 0 {
			t.Fatalf("password %q breaks the rules", pw)
		}
	}
}

func TestPasswordOverrideSpecialAndErrors(t *testing.T) {
	pw, err := password(resource.PropertyMap{
		"length": resource.NewNumberProperty(30), "lower": resource.NewBoolProperty(false), "upper": resource.NewBoolProperty(false),
		"numeric": resource.NewBoolProperty(false), "overrideSpecial": resource.NewStringProperty("_-"),
	})
	if err != nil || !regexp.MustCompile(`^[_-]{30}$`).MatchString(pw) {
		t.Fatalf("got %q, %v", pw, err)
	}
	if _, err := password(resource.PropertyMap{"length": resource.NewNumberProperty(3), "minLower": resource.NewNumberProperty(4)}); err == nil {
		t.Fatal("minimums longer than the length must fail")
	}
	all := resource.PropertyMap{"length": resource.NewNumberProperty(3)}
	for _, k := range []resource.PropertyKey{"lower", "upper", "numeric", "special"} {
		all[k] = resource.NewBoolProperty(false)
	}
	if _, err := password(all); err == nil {
		t.Fatal("no character class must fail")
	}
}

func TestUUIDIsVersion4(t *testing.T) {
	u, err := uuid4()
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u) {
		t.Fatalf("got %q, %v", u, err)
	}
}

func checked(t *testing.T, p *randomProvider, in resource.PropertyMap) resource.PropertyMap {
	s, _ := rpcbase.Marshal(in)
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: passwordURN, News: s})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatalf("check: %v %v", err, resp.GetFailures())
	}
	m, _ := rpcbase.Unmarshal(resp.Inputs)
	return m
}

func TestCheckDefaultsAndDiffReplacesOnAnyChange(t *testing.T) {
	p := &randomProvider{}
	a := checked(t, p, resource.PropertyMap{"length": resource.NewNumberProperty(32), "special": resource.NewBoolProperty(false)})
	if !a["upper"].BoolValue() || a["minLower"].NumberValue() != 0 || a["special"].BoolValue() {
		t.Fatalf("defaults not filled as the published provider does: %v", a)
	}
	// The state holds the inputs and the generated result: same inputs, no change.
	state := a.Copy()
	state["result"] = resource.NewStringProperty("x")
	olds, _ := rpcbase.Marshal(state)
	same, _ := rpcbase.Marshal(checked(t, p, resource.PropertyMap{"length": resource.NewNumberProperty(32), "special": resource.NewBoolProperty(false)}))
	d, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: passwordURN, Olds: olds, News: same})
	if err != nil || d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("same inputs must not change: %v %v", d, err)
	}
	longer, _ := rpcbase.Marshal(checked(t, p, resource.PropertyMap{"length": resource.NewNumberProperty(40), "special": resource.NewBoolProperty(false)}))
	d, err = p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: passwordURN, Olds: olds, News: longer})
	if err != nil || d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 1 || d.Replaces[0] != "length" {
		t.Fatalf("a new length must replace: %v %v", d, err)
	}
}

func TestUnknownTypeIsAnError(t *testing.T) {
	p := &randomProvider{}
	s, _ := rpcbase.Marshal(resource.PropertyMap{})
	if _, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: "urn:pulumi:dev::p::random:index/randomPet:RandomPet::x", Properties: s}); err == nil {
		t.Fatal("an unimplemented resource type must fail loudly")
	}
}
