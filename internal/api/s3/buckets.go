package s3

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/awserr"

	"github.com/ceap/ceap/internal/objects"
)

// maxListBuckets is the most buckets one ListBuckets page returns (S3's MaxBuckets limit).
const maxListBuckets = 10000

// ownerOf returns the canonical owner of an account's resources.
func ownerOf(account string) owner {
	sum := sha256.Sum256([]byte("ceap-canonical-user/" + account))
	return owner{ID: hex.EncodeToString(sum[:]), DisplayName: account}
}

func (c *call) listBuckets() error {
	buckets, err := c.h.svc.ListBuckets(c.ctx, c.account)
	if err != nil {
		return err
	}
	prefix, region := c.query.Get("prefix"), c.query.Get("bucket-region")
	max := maxListBuckets
	if v := c.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListBuckets {
			return awserr.New("InvalidArgument", "Argument max-buckets must be an integer between 1 and %d", maxListBuckets)
		}
		max = n
	}
	after := ""
	if tok := c.query.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return awserr.New("InvalidArgument", "The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	doc := listAllMyBucketsResult{Xmlns: xmlns, Owner: ownerOf(c.account), Prefix: prefix}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) || b.Name <= after || (region != "" && b.Region != region) {
			continue
		}
		if len(doc.Buckets) == max {
			doc.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(doc.Buckets[max-1].Name))
			break
		}
		doc.Buckets = append(doc.Buckets, bucketXML{Name: b.Name, CreationDate: xmlTime(b.Created), BucketRegion: b.Region})
	}
	return c.writeXML(http.StatusOK, doc)
}

func (c *call) createBucket() error {
	region := c.req.Caller.Region
	if region == "" {
		region = c.h.cfg.Region
	}
	if c.r.ContentLength != 0 {
		var cfg createBucketConfiguration
		if err := c.readXML(&cfg); err != nil {
			return err
		}
		if cfg.LocationConstraint != "" {
			region = cfg.LocationConstraint
		}
	}
	if _, err := c.h.svc.CreateBucket(c.ctx, c.account, region, c.bucket); err != nil {
		return err
	}
	c.w.Header().Set("Location", "/"+c.bucket)
	return c.writeEmpty(http.StatusOK)
}

func (c *call) headBucket() error {
	b, err := c.h.svc.HeadBucket(c.ctx, c.account, c.bucket)
	if err != nil {
		return err
	}
	c.w.Header().Set("X-Amz-Bucket-Region", b.Region)
	return c.writeEmpty(http.StatusOK)
}

func (c *call) deleteBucket() error {
	if err := c.h.svc.DeleteBucket(c.ctx, c.account, c.bucket); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusNoContent)
}

func (c *call) getLocation() error {
	b, err := c.h.svc.HeadBucket(c.ctx, c.account, c.bucket)
	if err != nil {
		return err
	}
	region := b.Region
	if region == "us-east-1" {
		region = "" // S3 reports us-east-1 as an empty constraint
	}
	return c.writeXML(http.StatusOK, locationConstraint{Xmlns: xmlns, Value: region})
}

func (c *call) putVersioning() error {
	var doc versioningConfiguration
	if err := c.readXML(&doc); err != nil {
		return err
	}
	if doc.MfaDelete == "Enabled" {
		return notImplemented("MFA delete")
	}
	if err := c.h.svc.PutBucketVersioning(c.ctx, c.account, c.bucket, doc.Status); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusOK)
}

func (c *call) getVersioning() error {
	b, err := c.h.svc.HeadBucket(c.ctx, c.account, c.bucket)
	if err != nil {
		return err
	}
	return c.writeXML(http.StatusOK, versioningConfiguration{Xmlns: xmlns, Status: b.Versioning})
}

func tagsFromXML(in []tagXML) []objects.Tag {
	out := make([]objects.Tag, len(in))
	for i, t := range in {
		out[i] = objects.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func tagsToXML(in []objects.Tag) tagging {
	doc := tagging{Xmlns: xmlns, TagSet: []tagXML{}}
	for _, t := range in {
		doc.TagSet = append(doc.TagSet, tagXML{Key: t.Key, Value: t.Value})
	}
	return doc
}

func (c *call) putBucketTagging() error {
	var doc tagging
	if err := c.readXML(&doc); err != nil {
		return err
	}
	if err := c.h.svc.PutBucketTagging(c.ctx, c.account, c.bucket, tagsFromXML(doc.TagSet)); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusNoContent)
}

func (c *call) getBucketTagging() error {
	tags, err := c.h.svc.GetBucketTagging(c.ctx, c.account, c.bucket)
	if err != nil {
		return err
	}
	return c.writeXML(http.StatusOK, tagsToXML(tags))
}

func (c *call) deleteBucketTagging() error {
	if err := c.h.svc.DeleteBucketTagging(c.ctx, c.account, c.bucket); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusNoContent)
}

func (c *call) putLifecycle() error {
	var doc lifecycleConfiguration
	if err := c.readXML(&doc); err != nil {
		return err
	}
	l, err := lifecycleFromXML(&doc)
	if err != nil {
		return err
	}
	if err := c.h.svc.PutBucketLifecycle(c.ctx, c.account, c.bucket, l); err != nil {
		return err
	}
	c.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", "all_storage_classes_128K")
	return c.writeEmpty(http.StatusOK)
}

func (c *call) getLifecycle() error {
	l, err := c.h.svc.GetBucketLifecycle(c.ctx, c.account, c.bucket)
	if err != nil {
		return err
	}
	c.w.Header().Set("X-Amz-Transition-Default-Minimum-Object-Size", "all_storage_classes_128K")
	return c.writeXML(http.StatusOK, lifecycleToXML(l))
}

func (c *call) deleteLifecycle() error {
	if err := c.h.svc.DeleteBucketLifecycle(c.ctx, c.account, c.bucket); err != nil {
		return err
	}
	return c.writeEmpty(http.StatusNoContent)
}
