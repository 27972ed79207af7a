# Sourced by scripts/make-root and scripts/make-deb-root: the Debian mirror of this machine's apt sources, read at
# run time (no registry host name is written into the repository).
#
#   debian_mirror SUITE    prints the URI of the first source that serves SUITE; for a suite this machine does not
#                          use, the one that serves bookworm (Debian's archive holds every suite under one URI).
#
# deb822 stanzas (/etc/apt/sources.list.d/*.sources) are separated by blank lines and may list several URIs and
# suites; one-line sources are "deb [options] URI SUITE COMPONENTS...". -security and -updates are other archives
# and never match a plain suite name.
debian_mirror() {
  {
    debian_mirror_of "$1"
    [ "$1" = bookworm ] || debian_mirror_of bookworm
  } | sed -n 1p
}

debian_mirror_of() {
  for sources in /etc/apt/sources.list.d/*.sources; do
    [ -f "$sources" ] || continue
    awk -v suite="$1" '
      function flush() {
        if (uris != "" && (" " suites " ") ~ (" " suite " ") && types ~ /(^| )deb( |$)/ && enabled != "no") {
          split(uris, list, " "); print list[1]; found = 1; exit
        }
        uris = ""; suites = ""; types = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "uris:"    { $1 = ""; uris = $0 }
      tolower($1) == "suites:"  { $1 = ""; suites = $0 }
      tolower($1) == "types:"   { $1 = ""; types = $0 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { if (!found) flush() }
    ' "$sources"
  done
  for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$list" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$list" | awk -v suite="$1" '$1 == "deb" && $3 == suite { print $2 }'
  done
}
