package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "redraw color.png and outline.png")

const testID = "0A1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d"

// accent is the manifest's accentColor (#2B579A).
var accent = color.NRGBA{0x2b, 0x57, 0x9a, 0xff}

// drawIcon draws the app icon: a licence card (a rounded rectangle with a
// header bar and three lines of "text") with a check mark. The colour
// icon is white on the accent colour, 192×192; the outline icon is white
// on transparent, 32×32, as Teams requires.
func drawIcon(size int, outline bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	bg := accent
	if outline {
		bg = color.NRGBA{}
	}
	for y := range size {
		for x := range size {
			img.SetNRGBA(x, y, bg)
		}
	}
	// Geometry in a 32-unit grid, scaled.
	s := float64(size) / 32
	fill := func(x0, y0, x1, y1 float64, c color.NRGBA) {
		for y := int(y0 * s); y < int(y1*s); y++ {
			for x := int(x0 * s); x < int(x1*s); x++ {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	ink := accent
	if outline {
		ink = color.NRGBA{}
	}
	// The card: white, with the inside cut out for the outline.
	fill(5, 8, 27, 25, white)
	if outline {
		fill(6, 9, 26, 24, ink)
		fill(6, 9, 26, 12, white) // header bar
	} else {
		fill(5, 8, 27, 12, color.NRGBA{0xd6, 0xe2, 0xf3, 0xff})
	}
	lines := white
	if !outline {
		lines = ink
	}
	fill(8, 15, 18, 16.5, lines)
	fill(8, 18, 16, 19.5, lines)
	fill(8, 21, 14, 22.5, lines)
	// A check mark at the bottom right.
	for i := 0.0; i < 4; i += 0.25 {
		fill(19+i, 17+i, 20.5+i, 18.5+i, lines)
	}
	for i := 0.0; i < 5; i += 0.25 {
		fill(22.5+i*0.6, 20.5-i, 24+i*0.6, 22-i, lines)
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The committed icons are what drawIcon draws (go test -update redraws
// them), of the sizes Teams requires, and the outline icon is white on
// transparent only.
func TestIcons(t *testing.T) {
	for _, ic := range []struct {
		name    string
		size    int
		outline bool
	}{{"color.png", 192, false}, {"outline.png", 32, true}} {
		want := encodePNG(t, drawIcon(ic.size, ic.outline))
		if *update {
			if err := os.WriteFile(ic.name, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := kit.ReadFile(ic.name)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			got = want // the embedded copy is the old one until rebuilt
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from drawIcon (go test -update redraws it)", ic.name)
		}
		img, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%s: %v", ic.name, err)
		}
		if b := img.Bounds(); b.Dx() != ic.size || b.Dy() != ic.size {
			t.Fatalf("%s is %v, want %d×%d", ic.name, b, ic.size, ic.size)
		}
		if !ic.outline {
			continue
		}
		seen := map[string]bool{}
		for y := range ic.size {
			for x := range ic.size {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				switch {
				case c.A == 0:
					seen["transparent"] = true
				case c == color.NRGBA{0xff, 0xff, 0xff, 0xff}:
					seen["white"] = true
				default:
					t.Fatalf("outline pixel %d,%d is %v: only white or transparent are allowed", x, y, c)
				}
			}
		}
		if !seen["white"] || !seen["transparent"] {
			t.Fatalf("outline icon is blank: %v", seen)
		}
	}
}

// manifest is the part of the app manifest the checks read.
type manifest struct {
	Schema          string `json:"$schema"`
	ManifestVersion string `json:"manifestVersion"`
	Version         string `json:"version"`
	ID              string `json:"id"`
	Developer       struct {
		Name, WebsiteURL, PrivacyURL, TermsOfUseURL string
	} `json:"developer"`
	Name struct {
		Short, Full string
	} `json:"name"`
	Description struct {
		Short, Full string
	} `json:"description"`
	Icons struct {
		Color, Outline string
	} `json:"icons"`
	AccentColor string `json:"accentColor"`
	Bots        []struct {
		BotID        string   `json:"botId"`
		Scopes       []string `json:"scopes"`
		CommandLists []struct {
			Scopes   []string
			Commands []struct{ Title, Description string }
		} `json:"commandLists"`
	} `json:"bots"`
}

func TestManifest(t *testing.T) {
	raw, err := kit.ReadFile("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), Placeholder); n != 2 {
		t.Fatalf("%d placeholders, want 2 (id and botId)", n)
	}
	out, err := Manifest(testID)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	lower := strings.ToLower(testID)
	if m.ID != lower || len(m.Bots) != 1 || m.Bots[0].BotID != lower {
		t.Fatalf("ids not filled in: %s %+v", m.ID, m.Bots)
	}
	if m.ManifestVersion < "1.17" || !strings.Contains(m.Schema, "/v"+m.ManifestVersion+"/") {
		t.Fatalf("schema %s, version %s", m.Schema, m.ManifestVersion)
	}
	// groupChat: the adapter answers in group chats (and refreshes cards
	// there), so the app must be installable in one.
	for _, scope := range []string{"personal", "team", "groupChat"} {
		if !slices.Contains(m.Bots[0].Scopes, scope) {
			t.Fatalf("scopes %v lack %s", m.Bots[0].Scopes, scope)
		}
	}
	if m.Icons.Color != "color.png" || m.Icons.Outline != "outline.png" {
		t.Fatalf("icons %+v", m.Icons)
	}
	// Teams' limits.
	for _, c := range []struct {
		what string
		s    string
		max  int
	}{{"name.short", m.Name.Short, 30}, {"name.full", m.Name.Full, 100}, {"description.short", m.Description.Short, 80},
		{"description.full", m.Description.Full, 4000}, {"version", m.Version, 256}} {
		if n := utf8.RuneCountInString(c.s); n == 0 || n > c.max {
			t.Errorf("%s is %d characters (1..%d)", c.what, n, c.max)
		}
	}
	for _, u := range []string{m.Developer.WebsiteURL, m.Developer.PrivacyURL, m.Developer.TermsOfUseURL} {
		if !strings.HasPrefix(u, "https://") {
			t.Errorf("developer URL %q is not https", u)
		}
	}
	for _, cl := range m.Bots[0].CommandLists {
		for _, c := range cl.Commands {
			if utf8.RuneCountInString(c.Title) > 32 || utf8.RuneCountInString(c.Description) > 128 {
				t.Errorf("command %q too long", c.Title)
			}
		}
	}
}

func TestNormalizeAppID(t *testing.T) {
	for _, bad := range []string{"", "abc", "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}",
		"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"", "urn:uuid:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"} {
		if _, err := NormalizeAppID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if id, err := NormalizeAppID(" " + testID + "\n"); err != nil || id != strings.ToLower(testID) {
		t.Fatalf("%q, %v", id, err)
	}
}

func TestPackage(t *testing.T) {
	var buf bytes.Buffer
	if err := Package(&buf, testID); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var data bytes.Buffer
		_, _ = data.ReadFrom(rc)
		rc.Close()
		if f.Name == "manifest.json" {
			if strings.Contains(data.String(), Placeholder) || !strings.Contains(data.String(), strings.ToLower(testID)) {
				t.Fatal("manifest in the package still has the placeholder")
			}
			continue
		}
		want, _ := kit.ReadFile(f.Name)
		if !bytes.Equal(data.Bytes(), want) {
			t.Fatalf("%s differs in the package", f.Name)
		}
	}
	if !slices.Equal(names, []string{"manifest.json", "color.png", "outline.png"}) {
		t.Fatalf("files %v", names)
	}
	// Reproducible.
	var again bytes.Buffer
	_ = Package(&again, testID)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("two packages differ")
	}
	if err := Package(&again, "not-a-guid"); err == nil {
		t.Fatal("bad id accepted")
	}
}
