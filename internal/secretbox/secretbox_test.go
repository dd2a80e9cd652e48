package secretbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func mustKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpenAndBinding(t *testing.T) {
	box, err := New(mustKey(1))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte("xoxb-secret"), []byte("slack:T1"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "xoxb") || KeyIDOf(sealed) != box.KeyID() {
		t.Fatalf("sealed %q", sealed)
	}
	pt, stale, err := box.Open(sealed, []byte("slack:T1"))
	if err != nil || stale || string(pt) != "xoxb-secret" {
		t.Fatalf("open: %q %v %v", pt, stale, err)
	}
	// Moved to another record: refused.
	if _, _, err := box.Open(sealed, []byte("slack:T2")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open under another record: %v", err)
	}
	// Tampered: refused.
	raw := []byte(sealed)
	raw[len(raw)-2] ^= 1
	if _, _, err := box.Open(string(raw), []byte("slack:T1")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tampered: %v", err)
	}
	// Two seals of the same token differ (fresh nonce).
	again, _ := box.Seal([]byte("xoxb-secret"), []byte("slack:T1"))
	if again == sealed {
		t.Fatal("same ciphertext twice")
	}
}

func TestRotation(t *testing.T) {
	oldBox, _ := New(mustKey(1))
	sealed, _ := oldBox.Seal([]byte("tok"), nil)
	rotated, err := New(mustKey(2), mustKey(1))
	if err != nil {
		t.Fatal(err)
	}
	pt, stale, err := rotated.Open(sealed, nil)
	if err != nil || !stale || string(pt) != "tok" {
		t.Fatalf("old value under the rotated box: %q stale=%v %v", pt, stale, err)
	}
	resealed, _ := rotated.Seal(pt, nil)
	if KeyIDOf(resealed) == KeyIDOf(sealed) {
		t.Fatal("re-sealed with the old key")
	}
	// Once the old key is dropped, old values no longer open, clearly.
	newOnly, _ := New(mustKey(2))
	if _, _, err := newOnly.Open(sealed, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old value without the old key: %v", err)
	}
	if _, stale, err := newOnly.Open(resealed, nil); err != nil || stale {
		t.Fatalf("re-sealed value: stale=%v %v", stale, err)
	}
}

func TestFromEnv(t *testing.T) {
	k := base64.StdEncoding.EncodeToString(mustKey(3))
	if _, err := FromEnv("", ""); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no key: %v", err)
	}
	if _, err := FromEnv(base64.StdEncoding.EncodeToString([]byte("short")), ""); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := FromEnv(k, "not base64!"); !errors.Is(err, ErrBadKey) {
		t.Fatalf("bad old key: %v", err)
	}
	b, err := FromEnv(k, base64.StdEncoding.EncodeToString(mustKey(4))+","+k)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.olds) != 1 {
		t.Fatalf("old keys %d, want 1 (the current one is not repeated)", len(b.olds))
	}
	if bytes.Equal(b.MACKey("a"), b.MACKey("b")) || bytes.Equal(b.MACKey("a"), mustKey(3)) {
		t.Fatal("MAC keys are not separated by purpose")
	}
}
