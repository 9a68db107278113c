package config

import (
	"fmt"
	"slices"
	"vmhost/namerule"
)

// className is what a class's name looks like.
var className = namerule.New("a-z", "a-z0-9-", 0, 31)

// checkClasses wants every class well formed: known teachers and students,
// each student in one class and no teacher a student, hosts with valid
// names and images, links between its own hosts, readable scripts and an
// open time before the close time.
func checkClasses(v *validator) {
	classOf := make(map[string]string)
	for _, name := range sortedKeys(v.c.Classes) {
		cl := v.c.Classes[name]
		path := "classes." + name
		if !className.MatchString(name) {
			v.addf(path, "%q is not a valid class name; use up to 32 lower-case letters, digits and '-', starting with a letter", name)
		}
		checkClassPeople(v, path, cl, classOf)
		if cl.Image != "" {
			checkImageRef(v, path+".image", cl.Image)
		}
		checkLimitSet(v, path+".limits", cl.Limits, v.c.Defaults.Limits.Override(cl.Limits))
		checkClassHosts(v, path, cl)
		checkClassLinks(v, path, cl)
		checkClassScripts(v, path, cl)
		if !cl.OpenAt.IsZero() && !cl.CloseAt.IsZero() && !cl.OpenAt.Before(cl.CloseAt) {
			v.addf(path+".close", "%s is not after open (%s)", cl.Close, cl.Open)
		}
		if cl.CheckTimeout < Duration(1e9) || cl.CheckTimeout > Duration(3600e9) {
			v.addf(path+".check_timeout", "%s is out of range; write from 1s to 1h, or leave it out for 60s", cl.CheckTimeout)
		}
		if cl.IdleStop != nil {
			checkIdleStop(v, path+".idle_stop", *cl.IdleStop)
		}
	}
}

// checkClassPeople wants the class's teachers and students to be users,
// every student in one class only (classOf records whose), and no
// teacher a student anywhere.
func checkClassPeople(v *validator, path string, cl Class, classOf map[string]string) {
	if len(cl.Teachers) == 0 {
		v.addf(path+".teachers", "a class needs a teacher; name at least one user of users:")
	}
	for i, t := range cl.Teachers {
		if _, ok := v.c.Users[t]; !ok {
			v.addf(fmt.Sprintf("%s.teachers[%d]", path, i), "no user named %q; a teacher is a user of users:", t)
		}
		if slices.Contains(cl.Members, t) {
			v.addf(fmt.Sprintf("%s.teachers[%d]", path, i), "%s is a student of this class too; a teacher is not a student", t)
		}
	}
	for i, s := range cl.Students {
		if _, ok := v.c.Users[s]; !ok {
			v.addf(fmt.Sprintf("%s.students[%d]", path, i), "no user named %q; add them to users: or to the class's roster", s)
		}
	}
	for _, s := range cl.Members {
		if other, ok := classOf[s]; ok && other != cl.Name {
			v.addf(path+".students", "%s is a student of class %s too; a student is in one class", s, other)
		}
		classOf[s] = cl.Name
	}
	for _, other := range sortedKeys(v.c.Classes) {
		for _, t := range v.c.Classes[other].Teachers {
			if other != cl.Name && slices.Contains(cl.Members, t) {
				v.addf(path+".students", "%s teaches class %s; a teacher is not a student", t, other)
			}
		}
	}
}

// checkClassHosts wants at most MaxClassHosts hosts with guest names and
// known images.
func checkClassHosts(v *validator, path string, cl Class) {
	if len(cl.Hosts) > MaxClassHosts {
		v.addf(path+".hosts", "%d hosts are too many; a class has at most %d", len(cl.Hosts), MaxClassHosts)
	}
	for _, h := range cl.Hosts {
		hp := path + ".hosts." + h.Name
		if !guestName.MatchString(h.Name) {
			v.addf(hp, "%q is not a valid host name (lower-case letters, digits and -, at most 32)", h.Name)
		}
		if h.Image != "" {
			checkImageRef(v, hp+".image", h.Image)
		}
		checkLimitSet(v, hp+".limits", h.Limits, v.c.Defaults.Limits.Override(cl.Limits).Override(h.Limits))
	}
}

// checkClassLinks wants every link to join two or more distinct hosts of
// the class, and no host on more than MaxHostLinks links.
func checkClassLinks(v *validator, path string, cl Class) {
	if len(cl.Links) > MaxClassLinks {
		v.addf(path+".links", "%d links are too many; a class has at most %d", len(cl.Links), MaxClassLinks)
	}
	if len(cl.Links) > 0 && len(cl.Hosts) == 0 {
		v.addf(path+".links", "links join hosts; name the hosts under hosts: first")
		return
	}
	perHost := make(map[string]int)
	for i, link := range cl.Links {
		lp := fmt.Sprintf("%s.links[%d]", path, i)
		if len(link) < 2 {
			v.addf(lp, "a link joins at least two hosts, like [pc, router]")
		}
		for j, h := range link {
			if _, ok := cl.Hosts.Lookup(h); !ok {
				v.addf(lp, "no host %q in this class; its hosts are %v", h, cl.Hosts.Names())
			}
			if slices.Contains(link[:j], h) {
				v.addf(lp, "names %s twice; a host is on a link once", h)
			}
			if perHost[h]++; perHost[h] == MaxHostLinks+1 {
				v.addf(lp, "%s is on more than %d links", h, MaxHostLinks)
			}
		}
	}
}

// checkClassScripts wants setup and check, when given, to be readable
// regular files of at most MaxScriptSize bytes.
func checkClassScripts(v *validator, path string, cl Class) {
	for key, file := range map[string]string{"setup": cl.Setup, "check": cl.Check} {
		if file == "" {
			continue
		}
		if _, err := ReadScript(file); err != nil {
			v.addf(path+"."+key, "cannot use the script: %s", oneLine(err.Error()))
		}
	}
}
