"""The catalogue of node types: what ``GET /node_types`` lists and what agents may use."""

from __future__ import annotations

from collections.abc import Iterable

from tilework.errors import NotFoundError
from tilework.tiles.audio_enhance import AudioEnhanceTile
from tilework.tiles.base import Tile
from tilework.tiles.captions import CaptionsTile
from tilework.tiles.clips import ClipsTile
from tilework.tiles.intro_outro import IntroOutroTile
from tilework.tiles.music import MusicTile
from tilework.tiles.overlay import OverlayTile
from tilework.tiles.reframe import ReframeTile
from tilework.tiles.render import RenderTile
from tilework.tiles.silence_removal import SilenceRemovalTile
from tilework.tiles.thumbnail import ThumbnailTile
from tilework.tiles.trim import TrimTile
from tilework.tiles.video_input import VideoInputTile


class TileRegistry:
    """Tiles by ``type_id``, kept in registration order."""

    def __init__(self, tiles: Iterable[Tile] = ()) -> None:
        self._tiles: dict[str, Tile] = {}
        for tile in tiles:
            self.add(tile)

    def add(self, tile: Tile) -> None:
        if tile.type_id in self._tiles:
            raise ValueError(f"node type {tile.type_id} is registered twice")
        self._tiles[tile.type_id] = tile

    def get(self, type_id: str) -> Tile:
        try:
            return self._tiles[type_id]
        except KeyError:
            raise NotFoundError(f"unknown node type {type_id}") from None

    def all(self) -> list[Tile]:
        return list(self._tiles.values())

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._tiles

    def __len__(self) -> int:
        return len(self._tiles)


def default_registry() -> TileRegistry:
    """The tiles Tilework ships, in the order ``GET /node_types`` lists them."""
    return TileRegistry(
        [
            VideoInputTile(),
            TrimTile(),
            ClipsTile(),
            SilenceRemovalTile(),
            CaptionsTile(),
            AudioEnhanceTile(),
            ReframeTile(),
            IntroOutroTile(),
            OverlayTile(),
            MusicTile(),
            ThumbnailTile(),
            RenderTile(),
        ]
    )
