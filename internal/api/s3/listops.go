package s3

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/objects"
)

// maxKeys reads a max-keys style parameter (default 1,000).
func (c *call) maxKeys(name string) (int, error) {
	v := c.query.Get(name)
	if v == "" {
		return objects.MaxListKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, awserr.New("InvalidArgument", "Provided %s not an integer or within integer range", name)
	}
	return n, nil
}

// encoder returns the key encoding that encoding-type asks for.
func (c *call) encoder() (func(string) string, string, error) {
	switch et := c.query.Get("encoding-type"); et {
	case "":
		return func(s string) string { return s }, "", nil
	case "url":
		return url.QueryEscape, "url", nil
	default:
		return nil, "", awserr.New("InvalidArgument", "Invalid Encoding Method specified in Request")
	}
}

func (c *call) listObjectsV2() error {
	max, err := c.maxKeys("max-keys")
	if err != nil {
		return err
	}
	enc, encType, err := c.encoder()
	if err != nil {
		return err
	}
	prefix, delim := c.query.Get("prefix"), c.query.Get("delimiter")
	after := c.query.Get("start-after")
	token := c.query.Get("continuation-token")
	if _, ok := c.query["continuation-token"]; ok {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return awserr.New("InvalidArgument", "The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	out, err := c.h.svc.ListObjects(c.ctx, &objects.ListInput{Account: c.account, Bucket: c.bucket, Prefix: prefix, Delimiter: delim, After: after, MaxKeys: max})
	if err != nil {
		return err
	}
	count := len(out.Objects) + len(out.CommonPrefixes)
	res := listBucketResult{Xmlns: xmlns, Name: c.bucket, Prefix: enc(prefix), Delimiter: enc(delim), MaxKeys: max, EncodingType: encType,
		IsTruncated: out.IsTruncated, KeyCount: &count, ContToken: token, StartAfter: enc(c.query.Get("start-after"))}
	if out.IsTruncated {
		res.NextContToken = base64.RawURLEncoding.EncodeToString([]byte(out.Next))
	}
	var own *owner
	if c.query.Get("fetch-owner") == "true" {
		o := ownerOf(c.account)
		own = &o
	}
	c.fillList(&res, out, enc, own)
	return c.writeXML(http.StatusOK, &res)
}

func (c *call) listObjectsV1() error {
	max, err := c.maxKeys("max-keys")
	if err != nil {
		return err
	}
	enc, encType, err := c.encoder()
	if err != nil {
		return err
	}
	prefix, delim, marker := c.query.Get("prefix"), c.query.Get("delimiter"), c.query.Get("marker")
	out, err := c.h.svc.ListObjects(c.ctx, &objects.ListInput{Account: c.account, Bucket: c.bucket, Prefix: prefix, Delimiter: delim, After: marker, MaxKeys: max})
	if err != nil {
		return err
	}
	m := enc(marker)
	res := listBucketResult{Xmlns: xmlns, Name: c.bucket, Prefix: enc(prefix), Delimiter: enc(delim), MaxKeys: max, EncodingType: encType,
		IsTruncated: out.IsTruncated, Marker: &m}
	if out.IsTruncated && delim != "" {
		res.NextMarker = enc(out.Next)
	}
	o := ownerOf(c.account)
	c.fillList(&res, out, enc, &o)
	return c.writeXML(http.StatusOK, &res)
}

func (c *call) fillList(res *listBucketResult, out *objects.ListOutput, enc func(string) string, own *owner) {
	res.Contents = make([]objectXML, 0, len(out.Objects))
	for _, o := range out.Objects {
		x := objectXML{Key: enc(o.Key), LastModified: xmlTime(o.LastModified), ETag: o.ETag, Size: o.Size, StorageClass: o.StorageClass, Owner: own}
		if o.Checksum.Algorithm != "" {
			x.ChecksumAlgorithm, x.ChecksumType = []string{o.Checksum.Algorithm}, o.Checksum.Type
		}
		res.Contents = append(res.Contents, x)
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
}

func (c *call) listVersions() error {
	max, err := c.maxKeys("max-keys")
	if err != nil {
		return err
	}
	enc, encType, err := c.encoder()
	if err != nil {
		return err
	}
	in := &objects.ListVersionsInput{Account: c.account, Bucket: c.bucket, Prefix: c.query.Get("prefix"), Delimiter: c.query.Get("delimiter"),
		KeyMarker: c.query.Get("key-marker"), VersionIDMarker: c.query.Get("version-id-marker"), MaxKeys: max}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return awserr.New("InvalidArgument", "A version-id marker cannot be specified without a key marker.")
	}
	out, err := c.h.svc.ListObjectVersions(c.ctx, in)
	if err != nil {
		return err
	}
	res := listVersionsResult{Xmlns: xmlns, Name: c.bucket, Prefix: enc(in.Prefix), Delimiter: enc(in.Delimiter), KeyMarker: enc(in.KeyMarker),
		VersionIDMarker: in.VersionIDMarker, MaxKeys: max, EncodingType: encType, IsTruncated: out.IsTruncated}
	if out.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = enc(out.NextKeyMarker), out.NextVersionMarker
	}
	own := ownerOf(c.account)
	for _, o := range out.Versions {
		v := versionXML{Key: enc(o.Key), VersionID: o.VersionID, IsLatest: o.IsLatest, LastModified: xmlTime(o.LastModified), Owner: own}
		if o.DeleteMarker {
			v.XMLName.Local = "DeleteMarker"
		} else {
			v.XMLName.Local = "Version"
			size := o.Size
			v.ETag, v.Size, v.StorageClass = o.ETag, &size, o.StorageClass
			if o.Checksum.Algorithm != "" {
				v.ChecksumAlgorithm, v.ChecksumType = []string{o.Checksum.Algorithm}, o.Checksum.Type
			}
		}
		res.Versions = append(res.Versions, v)
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	return c.writeXML(http.StatusOK, &res)
}
