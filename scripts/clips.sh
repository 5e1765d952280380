# scripts/clips.sh — sourced by demo.sh and eval.sh: where the real clips and
# the shared corpus tools live, and fetch_clips, which installs what the
# tools need on a clean Debian machine and fetches the clips.
#   CORPUS_TOOLS=DIR    get_videos.sh and make_corpus.py (default
#                       ../shared/corpus next to the repo)
#   COPYCAT_VIDEOS=DIR  where the clips go (default build/videos; not under
#                       .cache: make_corpus.py skips every source below a
#                       dot directory)

clips_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${CORPUS_TOOLS:-$clips_root/../shared/corpus}"
videos="${COPYCAT_VIDEOS:-$clips_root/build/videos}"

# fetch_clips NAME: NAME prefixes the messages (on stderr); get_videos.sh's
# own report goes to stdout, for the caller to keep or drop.
fetch_clips() {
  local name="$1" need=()
  [ -x "$tools/get_videos.sh" ] || {
    echo "$name: corpus tools not found in $tools (set CORPUS_TOOLS)" >&2; exit 1; }
  command -v ffmpeg >/dev/null || need+=(ffmpeg)
  command -v python3 >/dev/null || need+=(python3)
  command -v npm >/dev/null || need+=(npm)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "$name: installing ${need[*]}" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "$name: missing ${need[*]}: install them (or run as root on Debian)" >&2; exit 1
    fi
  fi
  echo "$name: fetching clips into $videos" >&2
  "$tools/get_videos.sh" "$videos"
}
