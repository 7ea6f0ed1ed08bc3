// Package objects is the S3 domain: buckets, objects and their versions, multipart uploads,
// tagging, lifecycle rules and the sweeper that applies them. Object metadata lives in the store;
// bodies stream into and out of the blob layer and are never held whole in memory.
//
// This package must never import net/http, the protocol layer or the api packages: the S3 wire
// format (XML, headers, aws-chunked) is decoded in internal/api/s3 into the typed calls here.
package objects
