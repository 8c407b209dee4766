// Package kube reads the cluster for the resolver in internal/deps: custom resources through
// discovery (for the simulator's controller and the entrypoint alike), and a View that asks the
// API server directly (the entrypoint's, which has no informers).
package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// Clients makes the discovery and dynamic clients a CRReader uses.
type Clients func() (discovery.DiscoveryInterface, dynamic.Interface, error)

// CRReader finds a kind's resource through discovery, as the entrypoint does, and caches each
// answer for a second so that event bursts do not become request bursts. Its clients are made
// on first use: most runs name no custom resource.
type CRReader struct {
	clients   Clients
	disc      discovery.DiscoveryInterface
	dyn       dynamic.Interface
	resources map[string]metav1.APIResource // apiVersion/kind
	answers   map[string]crAnswer
	now       func() time.Time
}

func NewCRReader(clients Clients, now func() time.Time) *CRReader {
	return &CRReader{clients: clients, now: now}
}

type crAnswer struct {
	obj map[string]any
	err error
	at  time.Time
}

// Get returns the object's content, nil when it does not exist, or an error saying why it
// cannot be read.
func (r *CRReader) Get(apiVersion, kind, ns, name string) (map[string]any, error) {
	key := strings.Join([]string{apiVersion, kind, ns, name}, "|")
	if a, ok := r.answers[key]; ok && r.now().Sub(a.at) < time.Second {
		return a.obj, a.err
	}
	obj, err := r.fetch(apiVersion, kind, ns, name)
	if r.answers == nil {
		r.answers = map[string]crAnswer{}
	}
	r.answers[key] = crAnswer{obj, err, r.now()}
	return obj, err
}

func (r *CRReader) fetch(apiVersion, kind, ns, name string) (map[string]any, error) {
	parts := strings.Split(apiVersion, "/")
	if len(parts) != 2 { // core kinds ("v1") are not accepted either
		return nil, fmt.Errorf("apiVersion %q is not group/version", apiVersion)
	}
	if r.dyn == nil {
		d, dy, err := r.clients()
		if err != nil {
			return nil, err
		}
		r.disc, r.dyn, r.resources = d, dy, map[string]metav1.APIResource{}
	}
	res, ok := r.resources[apiVersion+"/"+kind]
	if !ok {
		list, err := r.disc.ServerResourcesForGroupVersion(apiVersion)
		if err != nil {
			return nil, fmt.Errorf("discovery of %s: %v", apiVersion, err)
		}
		for _, ar := range list.APIResources {
			if ar.Kind == kind && !strings.Contains(ar.Name, "/") {
				res, ok = ar, true
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("no kind %s in %s", kind, apiVersion)
		}
		r.resources[apiVersion+"/"+kind] = res
	}
	ri := r.dyn.Resource(schema.GroupVersionResource{Group: parts[0], Version: parts[1], Resource: res.Name})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var getter dynamic.ResourceInterface = ri
	if res.Namespaced {
		getter = ri.Namespace(ns)
	}
	u, err := getter.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return u.Object, nil
}
