"""Media: the ffmpeg/ffprobe runner, probing, OTIO timelines and the timeline → ffmpeg compiler."""
