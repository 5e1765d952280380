// Package models is copycat's domain vocabulary: videos, frame hashes,
// fingerprints, index neighbours, matches, verdicts, claims and the
// application error codes. It imports only the standard library so that every
// other package can depend on it without pulling in a technology.
package models
