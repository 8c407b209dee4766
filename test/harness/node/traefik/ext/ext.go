// Package ext holds the extension points of Traefik's dynamic configuration, empty in
// open-source Traefik.
package ext

// HTTP extends dynamic.HTTPConfiguration.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}
