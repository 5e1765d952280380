#!/usr/bin/env bash
# scripts/demo.sh — the README's main job on embedded defaults, end to end.
#
# 1. fetches real clips (../shared/corpus/get_videos.sh into build/videos,
#    see clips.sh);
# 2. cuts three of them into "rival platform" originals and imports them as
#    the reference catalogue with `copycat refs import` (a CSV manifest);
# 3. makes the edits re-uploaders make (mirror + crop, vertical repost over a
#    blurred copy, sped up with a caption bar) and one unrelated clip, and
#    checks them with `copycat check`;
# 4. records an upload of our own with `copycat check --record` and checks a
#    re-encoded re-upload of it, which comes back as a duplicate.
# Everything lives under $CACHE/demo (default .cache/demo), rebuilt each run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${CACHE:-$root/.cache}"
# shellcheck source=clips.sh
. "$root/scripts/clips.sh"
demo="$cache/demo"

log() { printf '\n== %s\n' "$*"; }

fetch_clips demo.sh >/dev/null

(cd "$root" && go build -o "$cache/copycat" ./cmd/copycat)
export COPYCAT_DATA="$demo/data"
cc() { "$cache/copycat" "$@"; }

rm -rf "$demo"
mkdir -p "$demo/refs" "$demo/uploads"
enc=(-an -c:v libx264 -preset veryfast -pix_fmt yuv420p)
cut() { # SRC START DUR OUT
  ffmpeg -nostdin -v error -y -ss "$2" -t "$3" -i "$videos/$1" \
    -vf "scale='min(720,iw)':-2,fps=30,setsar=1" "${enc[@]}" -crf 20 "$4"
}
edit() { # IN FILTER OUT [extra ffmpeg args]
  local in=$1 vf=$2 out=$3; shift 3
  ffmpeg -nostdin -v error -y -i "$in" "$@" -vf "$vf" "${enc[@]}" -crf 28 "$out"
}

log "cutting three originals"
cut deb/opencv-doc/vtest.avi 10 12 "$demo/refs/street.mp4"
cut deb/openboard-common/wannaworktogether.mp4 30 12 "$demo/refs/whiteboard.mp4"
cut deb/fillets-ng-data/fillets-intro.mpg 20 12 "$demo/refs/fillets.mp4"
cat >"$demo/refs.csv" <<CSV
path,platform,id,author,url,published
refs/street.mp4,tiktok,tiktok:7301,@citywalks,https://www.tiktok.com/@citywalks/video/7301,2024-03-01
refs/whiteboard.mp4,kuaishou,kuaishou:88,teacher_li,https://www.kuaishou.com/short-video/88,2024-04-12
refs/fillets.mp4,youtube,yt:fillets,@retrogames,https://youtube.com/shorts/fillets,2024-05-20
CSV

log "copycat refs import $demo/refs.csv"
cc refs import "$demo/refs.csv"
cc refs list

log "making re-uploads"
edit "$demo/refs/street.mp4" "hflip,crop=iw*0.88:ih*0.88,scale=640:-2" "$demo/uploads/street-mirrored-cropped.mp4"
edit "$demo/refs/whiteboard.mp4" \
  "split[a][b];[a]scale=540:960:force_original_aspect_ratio=increase,crop=540:960,boxblur=20:4[bg];[b]scale=540:960:force_original_aspect_ratio=decrease:force_divisible_by=2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2" \
  "$demo/uploads/whiteboard-vertical-repost.mp4"
edit "$demo/refs/fillets.mp4" "setpts=PTS/1.25,fps=30,drawbox=x=0:y=ih*0.8:w=iw:h=ih*0.1:color=black@0.5:t=fill" \
  "$demo/uploads/fillets-sped-up-captioned.mp4"
ffmpeg -nostdin -v error -y -ss 2 -t 10 -i "$videos/deb/opencv-doc/box.mp4" "${enc[@]}" -crf 23 "$demo/uploads/unrelated.mp4"

log "copycat check (three lifted copies and an unrelated clip)"
cc check "$demo"/uploads/*.mp4

log "copycat check --json (the same, machine-readable)"
cc check --json "$demo/uploads/street-mirrored-cropped.mp4"

log "our own upload, recorded, then re-uploaded by someone else"
cut deb/pampi/tour.mp4 0 10 "$demo/uploads/own-upload.mp4"
edit "$demo/uploads/own-upload.mp4" "scale=iw*0.6:-2,eq=saturation=1.4" "$demo/uploads/own-reupload.mp4"
cc check --record "$demo/uploads/own-upload.mp4"
cc check "$demo/uploads/own-reupload.mp4"
