package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// SourceCNStateCouncil is the maintained source of mainland China's public
// holidays and make-up working days: the State Council General Office's
// yearly notice, as kept by github.com/6tail/lunar-go (HolidayUtil). A new
// year arrives with a new lunar-go release (`go get
// github.com/6tail/lunar-go@latest`), usually days after the notice.
const SourceCNStateCouncil = "cn-state-council"

// SourceNone means the calendar file lists every holiday itself.
const SourceNone = "none"

const lunarModule = "github.com/6tail/lunar-go"

// source is a maintained list of holidays and make-up working days.
type source struct {
	name        string
	holidays    map[Day]string
	workdays    map[Day]string
	first, last int    // the years whose notices it holds, without a gap
	fingerprint string // content hash: a new release that changes a day changes it
}

var (
	cnOnce sync.Once
	cnSrc  *source
	cnErr  error
)

// cnStateCouncil reads lunar-go's data once. lunar-go's HolidayUtil.Fix
// rewrites that data in a package variable; nothing in this module calls it.
func cnStateCouncil() (*source, error) {
	cnOnce.Do(func() { cnSrc, cnErr = readLunar() })
	return cnSrc, cnErr
}

// Years probed for lunar-go data: its data starts with the 2002 notice;
// the upper bound only keeps the probe finite.
const probeFrom, probeTo = 1990, 2199

// lunarNames are HolidayUtil's names in English.
var lunarNames = map[string]string{
	"元旦节": "New Year's Day", "春节": "Spring Festival", "清明节": "Qingming Festival",
	"劳动节": "Labour Day", "端午节": "Dragon Boat Festival", "中秋节": "Mid-Autumn Festival",
	"国庆节": "National Day", "国庆中秋": "National Day and Mid-Autumn Festival",
	"抗战胜利日": "Victory Day",
}

func readLunar() (*source, error) {
	s := &source{name: SourceCNStateCouncil, holidays: map[Day]string{}, workdays: map[Day]string{}}
	years := map[int]bool{} // notice years: the year of the festival a day belongs to
	h := sha256.New()
	for y := probeFrom; y <= probeTo; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for e := l.Front(); e != nil; e = e.Next() {
			hd := e.Value.(*HolidayUtil.Holiday)
			d, err := parseDay(hd.GetDay())
			if err != nil {
				return nil, fmt.Errorf("source %s: day %w", s.name, err)
			}
			target, err := parseDay(hd.GetTarget())
			if err != nil {
				return nil, fmt.Errorf("source %s: festival %w", s.name, err)
			}
			name := lunarNames[hd.GetName()]
			if name == "" {
				name = hd.GetName()
			}
			into, other := s.holidays, s.workdays
			if hd.IsWork() {
				into, other = s.workdays, s.holidays
				name += " make-up day"
			}
			if _, dup := other[d]; dup {
				return nil, fmt.Errorf("source %s: %s is both a holiday and a make-up working day", s.name, d)
			}
			into[d] = name
			years[target.year()] = true
			fmt.Fprintf(h, "%s %t %s\n", d, hd.IsWork(), hd.GetName())
		}
	}
	var ok bool
	if s.first, s.last, ok = knownYears(years); !ok {
		return nil, fmt.Errorf("source %s: %s has no holiday data", s.name, lunarModule)
	}
	s.fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	return s, nil
}

// knownYears is the first run of consecutive years in years: a year
// missing from the data ends what the source knows, whatever comes after.
func knownYears(years map[int]bool) (first, last int, ok bool) {
	if len(years) == 0 {
		return 0, 0, false
	}
	all := make([]int, 0, len(years))
	for y := range years {
		all = append(all, y)
	}
	slices.Sort(all)
	first, last = all[0], all[0]
	for years[last+1] {
		last++
	}
	return first, last, true
}

// describe names the source for messages: its name, where its data comes
// from and the years it holds.
func (s *source) describe() string {
	if s == nil {
		return "source " + SourceNone
	}
	return fmt.Sprintf("source %s: %s, notices %d-%d", s.name, lunarModule, s.first, s.last)
}

func (d Day) year() int { return time.Unix(int64(d)*86400, 0).UTC().Year() }

func firstDayOf(year int) Day { return civil(year, time.January, 1) }

// lastKnownDayOf is the last day of year that no later notice can move:
// the next year's notice has moved days from 29 December on (New Year
// make-up days and days off on 29-31 December 2001, 2005, 2006, 2007,
// 2011, 2016, 2017, 2018, 2022, 2023 in lunar-go's data), so 29-31 December
// of the last known year are not known.
func lastKnownDayOf(year int) Day { return civil(year, time.December, 28) }
