"""Image <-> ground-plane homography (metric zones and buffers).

Reserved by the design; no issue has asked for it yet, so nothing here is wired into the
pipeline. Zones are drawn and evaluated in normalised image coordinates.
"""
