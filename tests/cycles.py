"""What a piece of async code leaves in reference cycles, found with the garbage
collector off and every unreachable object kept (`gc.DEBUG_SAVEALL`)."""

import gc
import types
from collections.abc import Awaitable, Callable


async def cyclic_garbage(
    run: Callable[[], Awaitable[None]], describe: Callable[[object], str | None]
) -> list[str]:
    """What `run()` left in reference cycles, as `describe` names each object
    (those it names None left out): each would keep what it refers to until a
    full collection."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await run()
        gc.collect()
        described = (describe(found) for found in gc.garbage)
        return [name for name in described if name is not None]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def cyclic_frames(
    module: types.ModuleType, run: Callable[[], Awaitable[None]]
) -> list[str]:
    """The names of the frames of `module`'s code that `run()` left in cycles."""

    def frame_of_module(found: object) -> str | None:
        if isinstance(found, types.FrameType):
            code = found.f_code
            return code.co_qualname if code.co_filename == module.__file__ else None
        return None

    return await cyclic_garbage(run, frame_of_module)
