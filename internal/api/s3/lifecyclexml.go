package s3

import (
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/objects"
)

// lifecycleFromXML converts a decoded LifecycleConfiguration into the domain model. Shape faults
// that XML decoding cannot see (unknown dates, transitions) are answered here; rule semantics are
// checked by objects.Lifecycle.Validate.
func lifecycleFromXML(doc *lifecycleConfiguration) (*objects.Lifecycle, error) {
	l := &objects.Lifecycle{Rules: make([]objects.Rule, 0, len(doc.Rules))}
	for _, x := range doc.Rules {
		if len(x.Transitions) > 0 || len(x.NoncurrentVersionTransitions) > 0 {
			return nil, awserr.WithStatus(501, "NotImplemented", "Lifecycle transitions to other storage classes are not implemented; ceap stores every object in STANDARD.")
		}
		r := objects.Rule{ID: x.ID, Status: x.Status, Prefix: x.Prefix}
		if f := x.Filter; f != nil {
			r.Filter = &objects.Filter{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
			if f.Tag != nil {
				r.Filter.Tag = &objects.Tag{Key: f.Tag.Key, Value: f.Tag.Value}
			}
			if a := f.And; a != nil {
				r.Filter.And = &objects.AndFilter{Prefix: a.Prefix, ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				for _, t := range a.Tags {
					r.Filter.And.Tags = append(r.Filter.And.Tags, objects.Tag{Key: t.Key, Value: t.Value})
				}
			}
		}
		if e := x.Expiration; e != nil {
			r.Expiration = &objects.Expiration{Days: e.Days, ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
			if e.Date != nil {
				t, err := parseLifecycleDate(*e.Date)
				if err != nil {
					return nil, err
				}
				r.Expiration.Date = &t
			}
		}
		if n := x.NoncurrentVersionExpiration; n != nil {
			r.NoncurrentVersionExpiration = &objects.NoncurrentExpiration{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if a := x.AbortIncompleteMultipartUpload; a != nil {
			r.AbortIncompleteMultipartUpload = &objects.AbortIncomplete{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		l.Rules = append(l.Rules, r)
	}
	return l, nil
}

func parseLifecycleDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, awserr.New("InvalidArgument", "Invalid date: %s", s)
}

// lifecycleToXML converts the domain model into the GetBucketLifecycleConfiguration document.
func lifecycleToXML(l *objects.Lifecycle) *lifecycleConfiguration {
	doc := &lifecycleConfiguration{Xmlns: xmlns}
	for _, r := range l.Rules {
		x := lifecycleXML{ID: r.ID, Status: r.Status, Prefix: r.Prefix}
		if f := r.Filter; f != nil {
			x.Filter = &filterXML{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
			if f.Tag != nil {
				x.Filter.Tag = &tagXML{Key: f.Tag.Key, Value: f.Tag.Value}
			}
			if a := f.And; a != nil {
				x.Filter.And = &andXML{Prefix: a.Prefix, ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				for _, t := range a.Tags {
					x.Filter.And.Tags = append(x.Filter.And.Tags, tagXML{Key: t.Key, Value: t.Value})
				}
			}
		}
		if e := r.Expiration; e != nil {
			x.Expiration = &expirationXML{Days: e.Days, ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
			if e.Date != nil {
				d := e.Date.UTC().Format(time.RFC3339)
				x.Expiration.Date = &d
			}
		}
		if n := r.NoncurrentVersionExpiration; n != nil {
			x.NoncurrentVersionExpiration = &noncurrentXML{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			x.AbortIncompleteMultipartUpload = &abortIncompleteXML{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		doc.Rules = append(doc.Rules, x)
	}
	return doc
}
