package s3

import (
	"strconv"
	"unicode/utf8"
)

// The listing documents (up to 1,000 entries each) are written by hand rather than by
// encoding/xml, whose reflection cost as much as the rest of a list request. The output is byte
// for byte what xml.Marshal writes for the same struct (xmlwrite_test.go holds them to that), so
// the struct tags in xml.go stay the one definition of the shapes.

// appender is a response document that writes itself.
type appender interface {
	appendXML(b []byte) []byte
}

// XML's escapes, as encoding/xml writes them.
const (
	escQuot = "&#34;"
	escApos = "&#39;"
	escAmp  = "&amp;"
	escLT   = "&lt;"
	escGT   = "&gt;"
	escTab  = "&#x9;"
	escNL   = "&#xA;"
	escCR   = "&#xD;"
	escFFFD = "\uFFFD"
)

// appendEscaped appends s as XML character data exactly as encoding/xml escapes it: the five
// markup characters and tab, newline and carriage return as references, and every byte sequence
// that is not a character XML allows (invalid UTF-8, NUL and other control characters) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\'' && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = escQuot
		case '\'':
			esc = escApos
		case '&':
			esc = escAmp
		case '<':
			esc = escLT
		case '>':
			esc = escGT
		case '\t':
			esc = escTab
		case '\n':
			esc = escNL
		case '\r':
			esc = escCR
		default:
			if !xmlChar(r) || (r == utf8.RuneError && width == 1) {
				esc = escFFFD
				break
			}
			i += width
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func appendElem(b []byte, name, value string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, value)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendOptElem appends the element unless value is empty (omitempty).
func appendOptElem(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendElem(b, name, value)
}

func appendIntElem(b []byte, name string, v int64) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = strconv.AppendInt(b, v, 10)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendBoolElem(b []byte, name string, v bool) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = strconv.AppendBool(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendOpen(b []byte, name, xmlns string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, ` xmlns="`...)
	b = appendEscaped(b, xmlns)
	return append(b, `">`...)
}

func appendClose(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func (o *owner) appendXML(b []byte) []byte {
	b = append(b, "<Owner>"...)
	b = appendElem(b, "ID", o.ID)
	b = appendOptElem(b, "DisplayName", o.DisplayName)
	return append(b, "</Owner>"...)
}

func appendCommonPrefixes(b []byte, cps []commonPrefix) []byte {
	for _, p := range cps {
		b = append(b, "<CommonPrefixes>"...)
		b = appendElem(b, "Prefix", p.Prefix)
		b = append(b, "</CommonPrefixes>"...)
	}
	return b
}

func (r *listBucketResult) appendXML(b []byte) []byte {
	b = appendOpen(b, "ListBucketResult", r.Xmlns)
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	if r.Marker != nil {
		b = appendElem(b, "Marker", *r.Marker)
	}
	b = appendOptElem(b, "NextMarker", r.NextMarker)
	b = appendOptElem(b, "StartAfter", r.StartAfter)
	b = appendOptElem(b, "ContinuationToken", r.ContToken)
	b = appendOptElem(b, "NextContinuationToken", r.NextContToken)
	if r.KeyCount != nil {
		b = appendIntElem(b, "KeyCount", int64(*r.KeyCount))
	}
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendOptElem(b, "Delimiter", r.Delimiter)
	b = appendOptElem(b, "EncodingType", r.EncodingType)
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	for i := range r.Contents {
		o := &r.Contents[i]
		b = append(b, "<Contents>"...)
		b = appendElem(b, "Key", o.Key)
		b = appendElem(b, "LastModified", o.LastModified)
		b = appendElem(b, "ETag", o.ETag)
		for _, a := range o.ChecksumAlgorithm {
			b = appendOptElem(b, "ChecksumAlgorithm", a) // omitempty applies to each element
		}
		b = appendOptElem(b, "ChecksumType", o.ChecksumType)
		b = appendIntElem(b, "Size", o.Size)
		if o.Owner != nil {
			b = o.Owner.appendXML(b)
		}
		b = appendElem(b, "StorageClass", o.StorageClass)
		b = append(b, "</Contents>"...)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return appendClose(b, "ListBucketResult")
}

func (r *listVersionsResult) appendXML(b []byte) []byte {
	b = appendOpen(b, "ListVersionsResult", r.Xmlns)
	b = appendElem(b, "Name", r.Name)
	b = appendElem(b, "Prefix", r.Prefix)
	b = appendElem(b, "KeyMarker", r.KeyMarker)
	b = appendElem(b, "VersionIdMarker", r.VersionIDMarker)
	b = appendOptElem(b, "NextKeyMarker", r.NextKeyMarker)
	b = appendOptElem(b, "NextVersionIdMarker", r.NextVersionIDMarker)
	b = appendIntElem(b, "MaxKeys", int64(r.MaxKeys))
	b = appendOptElem(b, "Delimiter", r.Delimiter)
	b = appendOptElem(b, "EncodingType", r.EncodingType)
	b = appendBoolElem(b, "IsTruncated", r.IsTruncated)
	for i := range r.Versions {
		v := &r.Versions[i]
		b = append(b, '<')
		b = append(b, v.XMLName.Local...)
		b = append(b, '>')
		b = appendElem(b, "Key", v.Key)
		b = appendElem(b, "VersionId", v.VersionID)
		b = appendBoolElem(b, "IsLatest", v.IsLatest)
		b = appendElem(b, "LastModified", v.LastModified)
		b = appendOptElem(b, "ETag", v.ETag)
		for _, a := range v.ChecksumAlgorithm {
			b = appendOptElem(b, "ChecksumAlgorithm", a)
		}
		b = appendOptElem(b, "ChecksumType", v.ChecksumType)
		if v.Size != nil {
			b = appendIntElem(b, "Size", *v.Size)
		}
		b = appendOptElem(b, "StorageClass", v.StorageClass)
		b = v.Owner.appendXML(b)
		b = appendClose(b, v.XMLName.Local)
	}
	b = appendCommonPrefixes(b, r.CommonPrefixes)
	return appendClose(b, "ListVersionsResult")
}
