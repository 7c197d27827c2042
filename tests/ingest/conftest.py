from tests.live_fixtures import (  # noqa: F401
    hevc_media,
    live_media,
    own_rtsp,
    refused_url,
    rtsp,
    silent_url,
    stalling_proxy,
    trickle_proxy,
)
