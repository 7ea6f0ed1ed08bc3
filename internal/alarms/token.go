package alarms

import (
	"encoding/base64"

	"github.com/ceap/ceap/internal/awserr"
)

// encodeToken makes a pagination token of the last key of a page.
func encodeToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeToken reads a token made by encodeToken ("" for none).
func decodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", awserr.New("InvalidNextToken", "The service couldn't process your request because the next token is invalid.")
	}
	return string(b), nil
}
