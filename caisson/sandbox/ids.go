package sandbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

const (
	checkIDPrefix = "chk_priv_"
	tokenPrefix   = "chk_xchg_"
)

// idKind says what an id's index counts: the i-th check of the data set,
// the i-th documented error outcome, or the i-th exchange token issued.
type idKind uint64

const (
	kindCheck idKind = iota + 1
	kindError
	kindToken
)

// idCodec turns (kind, index) into the 22 URL-safe base64 characters of an
// id and back, both in O(1) and without remembering any id. The 16-byte
// block [tag^kind | index] is encrypted with AES under a key derived from
// the seed, so ids look random, differ between seeds, and a made-up id
// decrypts to a tag that does not match (odds 2^-64 of a false hit).
type idCodec struct {
	block cipher.Block
	tag   uint64
}

// strictB64 refuses ids whose last character carries non-zero spare bits,
// so exactly one spelling maps to each block.
var strictB64 = base64.RawURLEncoding.Strict()

func newIDCodec(seed int64) idCodec {
	var seedBytes [8]byte
	binary.BigEndian.PutUint64(seedBytes[:], uint64(seed))
	sum := sha256.Sum256(append([]byte("caisson-sandbox ids v1\x00"), seedBytes[:]...))
	block, err := aes.NewCipher(sum[:16])
	if err != nil {
		// A 16-byte key is always valid for AES-128.
		panic("sandbox: AES key setup: " + err.Error())
	}
	return idCodec{block: block, tag: binary.BigEndian.Uint64(sum[16:24])}
}

func (c idCodec) encode(prefix string, kind idKind, index uint64) string {
	var plain, sealed [16]byte
	binary.BigEndian.PutUint64(plain[:8], c.tag^uint64(kind))
	binary.BigEndian.PutUint64(plain[8:], index)
	c.block.Encrypt(sealed[:], plain[:])
	return prefix + strictB64.EncodeToString(sealed[:])
}

// decode returns the kind and index of an id this codec made, or ok=false
// for anything else (wrong prefix, wrong length, another seed's id).
func (c idCodec) decode(prefix, id string) (kind idKind, index uint64, ok bool) {
	body, found := strings.CutPrefix(id, prefix)
	if !found || len(body) != 22 {
		return 0, 0, false
	}
	var sealed, plain [16]byte
	n, err := strictB64.Decode(sealed[:], []byte(body))
	if err != nil || n != 16 {
		return 0, 0, false
	}
	c.block.Decrypt(plain[:], sealed[:])
	k := idKind(binary.BigEndian.Uint64(plain[:8]) ^ c.tag)
	if k != kindCheck && k != kindError && k != kindToken {
		return 0, 0, false
	}
	return k, binary.BigEndian.Uint64(plain[8:]), true
}
