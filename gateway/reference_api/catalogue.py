"""The static catalogue of movies and TV shows that the lists may hold.

Ids, titles, dates and genres follow TMDB so that items look familiar in GraphiQL;
overviews are short summaries. Vote counts, popularity and image paths are derived
from the id (the paths are placeholders that image.tmdb.org does not serve), and a
few items have no poster or backdrop, as real TMDB data often does.

`_movies.py` and `_tv_shows.py` hold the tables: one item per two lines, the
`|`-separated fields and then the overview. Movie fields are
`id|title|release_date|vote_average|genre_ids|language|original_title`, TV fields
`id|name|first_air_date|vote_average|genre_ids|language|country|original_name`;
an empty original title means it equals the title.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from ._movies import MOVIE_TABLE
from ._tv_shows import TV_TABLE

MediaType = Literal["movie", "tv"]


def _derived(kind: MediaType, media_id: int) -> bytes:
    """Stable pseudo-random bytes for the fields TMDB computes or hosts."""
    return hashlib.sha256(f"{kind}:{media_id}".encode()).digest()


def _image(seed: bytes, present: bool) -> str | None:
    return f"/{seed.hex()[:27]}.jpg" if present else None


@dataclass(frozen=True)
class Movie:
    """A movie as TMDB lists it."""

    id: int
    title: str
    original_title: str
    overview: str
    release_date: str
    vote_average: float
    genre_ids: tuple[int, ...]
    original_language: str
    poster_path: str | None
    backdrop_path: str | None
    vote_count: int
    popularity: float

    @classmethod
    def from_row(cls, position: int, fields: list[str], overview: str) -> "Movie":
        media_id, title, date, vote, genres, language, original = fields
        seed = _derived("movie", int(media_id))
        return cls(
            id=int(media_id),
            title=title,
            original_title=original or title,
            overview=overview,
            release_date=date,
            vote_average=float(vote),
            genre_ids=tuple(int(genre) for genre in genres.split(",")),
            original_language=language,
            poster_path=_image(seed, position % 17 != 16),
            backdrop_path=_image(seed[16:], position % 9 != 8),
            vote_count=500 + int.from_bytes(seed[:3]) % 30000,
            popularity=round(5 + int.from_bytes(seed[3:6]) % 150000 / 1000, 3),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "original_title": self.original_title,
            "overview": self.overview,
            "poster_path": self.poster_path,
            "backdrop_path": self.backdrop_path,
            "release_date": self.release_date,
            "vote_average": self.vote_average,
            "vote_count": self.vote_count,
            "popularity": self.popularity,
            "adult": False,
            "genre_ids": list(self.genre_ids),
            "original_language": self.original_language,
            "video": False,
        }


@dataclass(frozen=True)
class TvShow:
    """A TV show as TMDB lists it: `name` and `first_air_date`, not title/date."""

    id: int
    name: str
    original_name: str
    overview: str
    first_air_date: str
    vote_average: float
    genre_ids: tuple[int, ...]
    original_language: str
    origin_country: tuple[str, ...]
    poster_path: str | None
    backdrop_path: str | None
    vote_count: int
    popularity: float

    @classmethod
    def from_row(cls, position: int, fields: list[str], overview: str) -> "TvShow":
        media_id, name, date, vote, genres, language, country, original = fields
        seed = _derived("tv", int(media_id))
        return cls(
            id=int(media_id),
            name=name,
            original_name=original or name,
            overview=overview,
            first_air_date=date,
            vote_average=float(vote),
            genre_ids=tuple(int(genre) for genre in genres.split(",")),
            original_language=language,
            origin_country=(country,),
            poster_path=_image(seed, position % 13 != 12),
            backdrop_path=_image(seed[16:], position % 7 != 6),
            vote_count=100 + int.from_bytes(seed[:3]) % 25000,
            popularity=round(5 + int.from_bytes(seed[3:6]) % 250000 / 1000, 3),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "original_name": self.original_name,
            "overview": self.overview,
            "poster_path": self.poster_path,
            "backdrop_path": self.backdrop_path,
            "first_air_date": self.first_air_date,
            "vote_average": self.vote_average,
            "vote_count": self.vote_count,
            "popularity": self.popularity,
            "genre_ids": list(self.genre_ids),
            "origin_country": list(self.origin_country),
            "original_language": self.original_language,
        }


def _rows(table: str) -> list[tuple[int, list[str], str]]:
    lines = [line.strip() for line in table.strip().splitlines()]
    return [
        (position, fields.split("|"), overview)
        for position, (fields, overview) in enumerate(
            zip(lines[::2], lines[1::2], strict=True)
        )
    ]


MOVIES: tuple[Movie, ...] = tuple(Movie.from_row(*row) for row in _rows(MOVIE_TABLE))
TV_SHOWS: tuple[TvShow, ...] = tuple(TvShow.from_row(*row) for row in _rows(TV_TABLE))
CATALOGUE: dict[tuple[MediaType, int], Movie | TvShow] = {
    **{("movie", movie.id): movie for movie in MOVIES},
    **{("tv", show.id): show for show in TV_SHOWS},
}
