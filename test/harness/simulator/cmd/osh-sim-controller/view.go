package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	appslisters "k8s.io/client-go/listers/apps/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
)

// clusterView answers the resolver from the informers' caches; custom resources, which have no
// informer, are read from the API server.
type clusterView struct {
	pods      corelisters.PodLister
	jobs      batchlisters.JobLister
	slices    discoverylisters.EndpointSliceLister
	endpoints corelisters.EndpointsLister //nolint:staticcheck // the entrypoint's fallback
	daemons   appslisters.DaemonSetLister
	crs       *crReader
}

func (v *clusterView) EndpointSlices(ns, service string) []*discoveryv1.EndpointSlice {
	s, _ := v.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: service}))
	return s
}

func (v *clusterView) Endpoints(ns, name string) *corev1.Endpoints { //nolint:staticcheck
	e, _ := v.endpoints.Endpoints(ns).Get(name)
	return e
}

func (v *clusterView) Job(ns, name string) *batchv1.Job {
	j, _ := v.jobs.Jobs(ns).Get(name)
	return j
}

func (v *clusterView) Jobs(ns string, sel labels.Selector) []*batchv1.Job {
	j, _ := v.jobs.Jobs(ns).List(sel)
	return j
}

func (v *clusterView) Pod(ns, name string) *corev1.Pod {
	p, _ := v.pods.Pods(ns).Get(name)
	return p
}

func (v *clusterView) Pods(ns string, sel labels.Selector) []*corev1.Pod {
	p, _ := v.pods.Pods(ns).List(sel)
	return p
}

func (v *clusterView) DaemonSet(ns, name string) *appsv1.DaemonSet {
	d, _ := v.daemons.DaemonSets(ns).Get(name)
	return d
}

func (v *clusterView) CustomResource(apiVersion, kind, ns, name string) (map[string]any, error) {
	return v.crs.get(apiVersion, kind, ns, name)
}

// crReader finds a kind's resource through discovery, as the entrypoint does, and caches each
// answer for a second so that event bursts do not become request bursts. Its clients are made
// on first use: most runs name no custom resource.
type crReader struct {
	clients   func() (discovery.DiscoveryInterface, dynamic.Interface, error)
	disc      discovery.DiscoveryInterface
	dyn       dynamic.Interface
	resources map[string]metav1.APIResource // apiVersion/kind
	answers   map[string]crAnswer
	now       func() time.Time
}

type crAnswer struct {
	obj map[string]any
	err error
	at  time.Time
}

func (r *crReader) get(apiVersion, kind, ns, name string) (map[string]any, error) {
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

func (r *crReader) fetch(apiVersion, kind, ns, name string) (map[string]any, error) {
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
