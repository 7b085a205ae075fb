"""Checkpoint loading: official folder and converted single file, fp8 and bf16, the converter,
the tokenizer and every malformed-checkpoint error. Tiny seeded checkpoints with the real key
layout come from make_tiny.py (no dependency on tests/fixtures)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_tiny  # noqa: E402

from harness import comfy_dir  # noqa: E402

from comfyui_coco.models.bagel import convert, loader, modeling, tokenizer  # noqa: E402
from comfyui_coco.nodes import model_loader as nodes_ml  # noqa: E402
from comfyui_coco.nodes.common import CoCoError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "bagel_tiny"
FP8, BF16 = torch.float8_e4m3fn, torch.bfloat16
HF = "huggingface.co/ByteDance-Seed/BAGEL-7B-MoT"
SINGLE = {"fp8_e4m3fn": "tiny_fp8.safetensors", "bf16": "tiny_bf16.safetensors"}


# ---- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def coco_root(tmp_path_factory):
    """models/coco with: tiny/ (official layout), tiny_fp8.safetensors, tiny_bf16.safetensors."""
    root = tmp_path_factory.mktemp("coco")
    make_tiny.make_folder(root / "tiny", seed=0)
    make_tiny.make_single(root / "tiny", root / "tiny_fp8.safetensors", "fp8_e4m3fn")
    make_tiny.make_single(root / "tiny", root / "tiny_bf16.safetensors", "bf16")
    return root


@pytest.fixture()
def coco_folder_paths(coco_root):
    """Point ComfyUI's "coco" model folder at coco_root for the node tests."""
    import folder_paths

    old = folder_paths.folder_names_and_paths.get("coco")
    folder_paths.folder_names_and_paths["coco"] = ([str(coco_root)], {".safetensors", ".json"})
    folder_paths.filename_list_cache.pop("coco", None)
    yield coco_root
    folder_paths.filename_list_cache.pop("coco", None)
    if old is None:
        folder_paths.folder_names_and_paths.pop("coco", None)
    else:
        folder_paths.folder_names_and_paths["coco"] = old


def _load_sd(path, weight_dtype):
    """The loader's tensors (same path as load_coco, without the pipeline wrapper)."""
    src = loader.open_checkpoint(path)
    cfg = loader.make_config(src)
    loader.check_tensors(src, loader.expected_shapes(cfg))
    module = modeling.build_bagel(cfg, loader.parse_weight_dtype(weight_dtype), device="meta")
    loader.load_state_into(module, src)
    return cfg, module.state_dict()


def _bytes_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.view(torch.uint8), b.view(torch.uint8))


@pytest.fixture(scope="module")
def source_tensors(coco_root):
    from safetensors.torch import load_file  # safetensors, never pickle

    return load_file(str(coco_root / "tiny" / "ema.safetensors"))


# ---- layout, tokenizer, writer ------------------------------------------------------------------

def test_make_tiny_key_layout_matches_the_architecture(coco_root):
    llm, vit, bagel = make_tiny.tiny_configs()
    mine = make_tiny.official_shapes(llm, vit, bagel)
    cfg = loader.make_config(loader.open_checkpoint(coco_root / "tiny"))
    assert mine == loader.expected_shapes(cfg)
    # 28 per LLM layer, 16 per ViT layer, 23 others (the production count is 1,223)
    assert len(mine) == 28 * llm["num_hidden_layers"] + 16 * (vit["num_hidden_layers"] - 1) + 23
    prod = make_tiny.official_shapes(
        {"hidden_size": 3584, "intermediate_size": 18944, "vocab_size": 152064, "num_attention_heads": 28,
         "num_key_value_heads": 4, "num_hidden_layers": 28},
        {"hidden_size": 1152, "intermediate_size": 4304, "patch_size": 14, "num_hidden_layers": 27,
         "image_size": 980}, {})
    assert len(prod) == 1223 and make_tiny.weights_bytes(prod) == 14_607_260_128 * 2


def test_tokenizer_special_ids_encode_decode(coco_root):
    folder = coco_root / "tiny"
    tok = tokenizer.CoCoTokenizer.from_folder(str(folder))
    cfg = json.loads((folder / "tokenizer_config.json").read_text())
    by_merges = tokenizer.CoCoTokenizer.from_vocab_merges(str(folder / "vocab.json"), str(folder / "merges.txt"), cfg)
    for attr, content in tokenizer.SPECIAL_TOKENS.items():
        assert getattr(tok, attr) == tok.token_to_id(content) == getattr(by_merges, attr) is not None
    text = "<|im_start|>user\nthe cat at 12:00 ünï 中文<|im_end|><|vision_start|><|vision_end|>"
    ids = tok.encode(text)
    assert ids[0] == tok.im_start_id and tok.im_end_id in ids and ids[-1] == tok.vision_end_id
    assert tok.decode(ids, skip_special_tokens=False) == text
    assert tok.decode(ids, skip_special_tokens=True) == "user\nthe cat at 12:00 ünï 中文"


def test_qwen_vocab_merges_give_the_production_special_ids():
    """The vocab.json/merges.txt route on the real Qwen2.5 files (shipped with ComfyUI)."""
    d = comfy_dir() / "comfy" / "text_encoders" / "qwen25_tokenizer"
    cfg = json.loads((d / "tokenizer_config.json").read_text())
    tok = tokenizer.CoCoTokenizer.from_vocab_merges(str(d / "vocab.json"), str(d / "merges.txt"), cfg)
    assert tok.special_ids == {"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645,
                               "<|vision_start|>": 151652, "<|vision_end|>": 151653}
    assert tok.encode("Hello world!") == [9707, 1879, 0]
    again = tokenizer.CoCoTokenizer.from_str(tok.json_text)
    s = "A cat's  tail\n\n12345 ünïcödé"
    assert again.encode(s) == tok.encode(s) and tok.decode(tok.encode(s)) == s


def test_streaming_writer_is_standard_safetensors(tmp_path):
    from safetensors import safe_open

    a = torch.randn(3, 5).to(BF16)
    b = (torch.randn(70) * 1000).clamp(-448, 448).to(FP8)
    items = [("a", BF16, (3, 5), lambda: iter([a.view(-1)[:7], a.view(-1)[7:]])),
             ("b.w", FP8, (7, 10), lambda: iter([b])),
             ("empty", BF16, (0, 4), lambda: iter([]))]
    p = tmp_path / "x.safetensors"
    convert.write_safetensors(str(p), items, {"format": "pt", "k": "v"})
    with safe_open(str(p), "pt") as f:
        assert f.metadata() == {"format": "pt", "k": "v"}
        assert torch.equal(f.get_tensor("a"), a)
        assert _bytes_equal(f.get_tensor("b.w"), b.view(7, 10))
        assert f.get_tensor("empty").shape == (0, 4)
    assert (8 + int.from_bytes(p.read_bytes()[:8], "little")) % 8 == 0
    assert not (tmp_path / "x.safetensors.tmp").exists()


def test_fp8_cast_saturates_instead_of_nan():
    x = torch.tensor([1000.0, -1000.0, 1.0], dtype=BF16)
    from comfyui_coco.models.safetensors_io import cast

    y = cast(x, FP8).float()
    assert torch.equal(y, torch.tensor([448.0, -448.0, 1.0]))


# ---- loading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("weight_dtype", ["fp8_e4m3fn", "bf16"])
def test_folder_and_single_file_load_the_same_tensors(coco_root, source_tensors, weight_dtype):
    wdt = loader.parse_weight_dtype(weight_dtype)
    cfg, from_folder = _load_sd(coco_root / "tiny", weight_dtype)
    _, from_file = _load_sd(coco_root / SINGLE[weight_dtype], weight_dtype)
    want = modeling.expected_state_dict_dtypes(cfg, wdt)
    assert set(from_folder) == set(from_file) == set(source_tensors) == set(want)
    n_weight_dtype = 0
    for k, t in from_folder.items():
        assert t.device.type == "cpu" and not t.is_meta
        assert t.dtype == want[k], k
        assert _bytes_equal(t, from_file[k]), k
        ref = source_tensors[k]
        if t.dtype == FP8:
            n_weight_dtype += 1
            assert _bytes_equal(t, ref.clamp(-448, 448).to(FP8)), k
        else:
            assert t.dtype == BF16 and torch.equal(t, ref), k
    if wdt == FP8:
        # all per-layer projections/MLPs are fp8; embeddings, lm_head, norms, biases, tables are bf16
        assert n_weight_dtype == (4 * 2 + 3 * 2) * 2 + 6 * 2  # LLM: qkvo + 3 MLP, x2 experts, x2 layers; ViT: 6 x2
        assert from_folder["language_model.model.embed_tokens.weight"].dtype == BF16
        assert from_folder["language_model.model.layers.0.mlp_moe_gen.down_proj.weight"].dtype == FP8
        assert from_folder["vit_model.vision_model.encoder.layers.1.self_attn.out_proj.weight"].dtype == FP8
        assert from_folder["language_model.model.layers.0.self_attn.q_proj.bias"].dtype == BF16


def test_fp8_file_loaded_as_bf16_upcasts(coco_root):
    _, fp8 = _load_sd(coco_root / "tiny_fp8.safetensors", "fp8_e4m3fn")
    _, up = _load_sd(coco_root / "tiny_fp8.safetensors", "bf16")
    k = "language_model.model.layers.1.mlp.up_proj.weight"
    assert up[k].dtype == BF16 and torch.equal(up[k], fp8[k].to(BF16))


def test_converted_metadata_schema(coco_root):
    h = loader.read_header(str(coco_root / "tiny_fp8.safetensors"))
    meta = json.loads(h.metadata["coco"])
    assert meta["format_version"] == loader.FORMAT_VERSION == 1
    assert meta["weight_dtype"] == "fp8_e4m3fn" and meta["scaled"] is False
    assert meta["llm_config"] == json.loads((coco_root / "tiny" / "llm_config.json").read_text())
    assert meta["vit_config"] == json.loads((coco_root / "tiny" / "vit_config.json").read_text())
    assert meta["bagel_config"] == json.loads((coco_root / "tiny" / "bagel_config.json").read_text())
    assert meta["special_tokens"]["<|im_start|>"] > 0
    assert h.metadata["coco_tokenizer"] == (coco_root / "tiny" / "tokenizer.json").read_text()
    # stored dtypes: fp8 only where the architecture keeps the weight dtype
    fp8_keys = {k for k, t in h.tensors.items() if t.dtype == "F8_E4M3"}
    assert fp8_keys == {k for k in h.tensors if modeling.uses_weight_dtype(k)}
    assert {t.dtype for t in h.tensors.values()} == {"F8_E4M3", "BF16"}
    bf16_size = (coco_root / "tiny_bf16.safetensors").stat().st_size
    assert (coco_root / "tiny_fp8.safetensors").stat().st_size < bf16_size


def test_load_coco_returns_cocomodel(coco_root):
    from comfyui_coco.models.bagel.pipeline import CoCoModel

    seen = []
    m = loader.load_coco(coco_root / "tiny_fp8.safetensors", "fp8_e4m3fn", progress=lambda i, n: seen.append((i, n)))
    assert isinstance(m, CoCoModel)
    assert seen[-1][0] == seen[-1][1] == len(make_tiny.official_shapes(*make_tiny.tiny_configs()))


@pytest.mark.skipif(not (FIXTURE / "ema.safetensors").exists(), reason="tests/fixtures/bagel_tiny not present")
def test_reference_fixture_folder_loads(tmp_path):
    cfg, sd = _load_sd(FIXTURE, "fp8_e4m3fn")
    assert any(t.dtype == FP8 for t in sd.values())
    out = convert.convert_checkpoint(str(FIXTURE), str(tmp_path / "f.safetensors"), "fp8_e4m3fn")
    _, sd2 = _load_sd(out, "fp8_e4m3fn")
    assert all(_bytes_equal(sd[k], sd2[k]) for k in sd)


# ---- nodes --------------------------------------------------------------------------------------

def test_node_lists_folders_and_single_files(coco_folder_paths):
    (coco_folder_paths / "tiny" / "ae.safetensors").write_bytes(b"")  # inside the folder: not listed
    try:
        names = nodes_ml.list_checkpoints()
    finally:
        (coco_folder_paths / "tiny" / "ae.safetensors").unlink()
    assert names == ["tiny/", "tiny_bf16.safetensors", "tiny_fp8.safetensors"]
    assert nodes_ml.resolve_checkpoint("tiny/", "n") == str(coco_folder_paths / "tiny")
    with pytest.raises(CoCoError, match="not in ComfyUI/models/coco"):
        nodes_ml.resolve_checkpoint("../tiny/", "n")


@pytest.mark.parametrize("checkpoint,weight_dtype", [("tiny/", "fp8_e4m3fn"), ("tiny/", "bf16"),
                                                     ("tiny_fp8.safetensors", "fp8_e4m3fn"),
                                                     ("tiny_bf16.safetensors", "bf16")])
def test_loader_node_execute(coco_folder_paths, checkpoint, weight_dtype):
    from comfyui_coco.models.bagel.pipeline import CoCoModel

    out = nodes_ml.ModelLoader.execute(checkpoint=checkpoint, weight_dtype=weight_dtype)
    assert isinstance(out.result[0], CoCoModel)
    assert "loaded with " + weight_dtype in out.ui["text"][0]


def test_auto_weight_dtype_picks_what_the_device_runs_well(coco_folder_paths):
    """The loader's default: bf16 where fp8 is slow or missing (CPU, MPS), fp8 on CUDA with fp8 compute."""
    import comfy.model_management as mm

    from comfyui_coco.models.weight_dtype import auto_weight_dtype, resolve_weight_dtype

    schema = nodes_ml.ModelLoader.define_schema()
    assert next(i for i in schema.inputs if i.id == "weight_dtype").default == "auto"
    assert auto_weight_dtype("cpu") == auto_weight_dtype("mps") == "bf16"
    assert resolve_weight_dtype("fp8_e4m3fn", "cpu") == "fp8_e4m3fn"
    if torch.cuda.is_available():
        fp8 = mm.supports_fp8_compute(torch.device("cuda"))
        assert auto_weight_dtype("cuda") == ("fp8_e4m3fn" if fp8 else "bf16")
    out = nodes_ml.ModelLoader.execute(checkpoint="tiny/", weight_dtype="auto")
    expect = auto_weight_dtype(mm.get_torch_device())
    assert out.result[0].weight_dtype == _torch_dtype(expect)
    assert f"loaded with {expect} (auto)" in out.ui["text"][0]


def _torch_dtype(name):
    return {"bf16": torch.bfloat16, "fp8_e4m3fn": torch.float8_e4m3fn}[name]


def test_convert_node_writes_a_loadable_file(coco_folder_paths):
    out = nodes_ml.ConvertCheckpoint.execute(source="tiny/", weight_dtype="fp8_e4m3fn", output_name="conv_node",
                                             overwrite=False)
    assert out.result[0] == "conv_node.safetensors" and "wrote models/coco/conv_node.safetensors" in out.ui["text"][0]
    assert "conv_node.safetensors" in nodes_ml.list_checkpoints()
    a = (coco_folder_paths / "conv_node.safetensors").read_bytes()
    assert a == (coco_folder_paths / "tiny_fp8.safetensors").read_bytes()  # deterministic
    with pytest.raises(CoCoError, match="already exists"):
        nodes_ml.ConvertCheckpoint.execute(source="tiny/", weight_dtype="fp8_e4m3fn", output_name="conv_node",
                                           overwrite=False)
    with pytest.raises(CoCoError, match="not a plain file name"):
        nodes_ml.ConvertCheckpoint.execute(source="tiny/", weight_dtype="bf16", output_name="../x", overwrite=True)
    (coco_folder_paths / "conv_node.safetensors").unlink()


def test_converter_cli(coco_root, tmp_path):
    out = tmp_path / "cli.safetensors"
    env = dict(os.environ, COMFYUI_DIR=str(comfy_dir()))
    r = subprocess.run([sys.executable, "-m", "models.bagel.convert", str(coco_root / "tiny"), str(out),
                        "--weight-dtype", "fp8_e4m3fn"], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr
    assert out.read_bytes() == (coco_root / "tiny_fp8.safetensors").read_bytes()



def test_converter_cli_error_exit(tmp_path, capsys):
    assert convert.main([str(tmp_path / "nope"), str(tmp_path / "out.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and HF in err


# ---- malformed checkpoints ----------------------------------------------------------------------

def _data_section(path: Path) -> bytes:
    data = path.read_bytes()
    return data[8 + int.from_bytes(data[:8], "little"):]


def _copy(coco_root, tmp_path) -> Path:
    d = tmp_path / "bad"
    shutil.copytree(coco_root / "tiny", d)
    return d


def _rewrite(path: Path, edit) -> None:
    """Load the tensors (safetensors), edit the dict, save again."""
    from safetensors.torch import load_file, save_file

    sd = load_file(str(path))
    edit(sd)
    save_file(sd, str(path), metadata={"format": "pt"})


def _drop(n):
    def edit(sd):
        for k in sorted(sd)[:n]:
            del sd[k]
    return edit


def _make_case(case: str, root: Path, tmp_path: Path) -> Path:
    d = _copy(root, tmp_path)
    ema = d / "ema.safetensors"
    if case == "missing_weights":
        ema.unlink()
    elif case == "pickle_in_folder":
        ema.unlink()
        (d / "ema.pt").write_bytes(b"\x80\x04not really a pickle")
    elif case == "pickle_file":
        (d / "model.ckpt").write_bytes(b"\x80\x04not really a pickle")
        return d / "model.ckpt"
    elif case == "missing_llm_config":
        (d / "llm_config.json").unlink()
    elif case == "missing_vit_config":
        (d / "vit_config.json").unlink()
    elif case == "bad_config_json":
        (d / "vit_config.json").write_text("{not json")
    elif case == "config_not_bagel":
        (d / "llm_config.json").write_text(json.dumps({"hidden_size": 64}))
    elif case == "missing_tokenizer":
        for n in ("tokenizer.json", "vocab.json", "merges.txt"):
            (d / n).unlink()
    elif case == "tokenizer_without_specials":
        from tokenizers import Tokenizer, models

        (d / "tokenizer.json").write_text(Tokenizer(models.BPE(vocab={"a": 0}, merges=[])).to_str())
    elif case == "truncated":
        data = ema.read_bytes()
        ema.write_bytes(data[: len(data) // 2])
    elif case == "header_beyond_file":
        ema.write_bytes((10 ** 9).to_bytes(8, "little") + b"{}")
    elif case == "too_short":
        ema.write_bytes(b"\x01\x02")
    elif case == "header_not_json":
        ema.write_bytes((16).to_bytes(8, "little") + b"\xff" * 16)
    elif case == "missing_keys":
        _rewrite(ema, _drop(7))
    elif case == "unexpected_keys":
        _rewrite(ema, lambda sd: sd.update({f"extra.{i}.weight": torch.zeros(2, dtype=BF16) for i in range(6)}))
    elif case == "wrong_shapes":  # configs that do not belong to the weights
        cfg = json.loads((d / "llm_config.json").read_text())
        cfg["intermediate_size"] += 32
        (d / "llm_config.json").write_text(json.dumps(cfg))
    elif case == "unsupported_dtype":
        def edit(sd):
            sd["language_model.model.norm.weight"] = sd["language_model.model.norm.weight"].to(torch.float64)
            sd["connector.fc1.bias"] = sd["connector.fc1.bias"].to(torch.int32)
        _rewrite(ema, edit)
    elif case == "not_bagel":
        from safetensors.torch import save_file

        save_file({"encoder.conv_in.weight": torch.zeros(4, 3, 3, 3), "decoder.conv_out.bias": torch.zeros(3)},
                  str(ema))
    elif case == "single_file_without_metadata":
        out = tmp_path / "plain.safetensors"
        shutil.copy(ema, out)
        return out
    elif case == "single_file_missing_tokenizer":
        out = tmp_path / "notok.safetensors"
        convert.convert_checkpoint(str(root / "tiny"), str(out), "fp8_e4m3fn")
        h = loader.read_header(str(out))
        meta = dict(h.metadata)
        del meta["coco_tokenizer"]
        from safetensors.torch import load_file, save_file
        save_file(load_file(str(out)), str(out), metadata=meta)
        return out
    else:
        raise AssertionError(case)
    return d


ERROR_CASES = {
    # case: (file the message names, fragments that must appear)
    "missing_weights": ("bad", ["ema.safetensors is missing", HF, "bad/"]),
    "pickle_in_folder": ("ema.pt", ["pickle file", "never unpickles", "ema.safetensors from " + HF]),
    "pickle_file": ("model.ckpt", ["pickle file", "never unpickles", "CoCo_ConvertCheckpoint"]),
    "missing_llm_config": ("bad", ["llm_config.json are missing", "download llm_config.json from " + HF]),
    "missing_vit_config": ("bad", ["vit_config.json are missing", HF]),
    "bad_config_json": ("vit_config.json", ["not valid JSON", HF]),
    "config_not_bagel": ("bad", ["do not describe a BAGEL model", "missing required field"]),
    "missing_tokenizer": ("bad", ["tokenizer is missing", "tokenizer.json", "from " + HF]),
    "tokenizer_without_specials": ("bad", ["lacks the special token(s) <|endoftext|>, <|im_start|>"]),
    "truncated": ("ema.safetensors", ["truncated", "download it again"]),
    "header_beyond_file": ("ema.safetensors", ["header claims 1000000000 bytes", "truncated or corrupt"]),
    "too_short": ("ema.safetensors", ["too short", "truncated"]),
    "header_not_json": ("ema.safetensors", ["not valid JSON", "corrupt"]),
    "missing_keys": ("ema.safetensors", ["7 missing key(s)", "(and 2 more)", HF]),
    "unexpected_keys": ("ema.safetensors", ["6 unexpected key(s)", "extra.0.weight", "(and 1 more)"]),
    "wrong_shapes": ("ema.safetensors", ["12 tensor(s) have the wrong shape",
                                         "language_model.model.layers.0.mlp.down_proj.weight: expected [64, 128], "
                                         "got [64, 96]", "(and 7 more)", "do not belong together"]),
    "unsupported_dtype": ("ema.safetensors", ["unsupported tensor dtype(s)", "connector.fc1.bias (I32)",
                                              "language_model.model.norm.weight (F64)", "BF16"]),
    "not_bagel": ("ema.safetensors", ["not a BAGEL/CoCo checkpoint", "missing key(s)"]),
    "single_file_without_metadata": ("plain.safetensors", ["no 'coco' metadata", "CoCo_ConvertCheckpoint"]),
    "single_file_missing_tokenizer": ("notok.safetensors", ["tokenizer is missing", "coco_tokenizer"]),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_malformed_checkpoint_errors(coco_root, tmp_path, monkeypatch, case):
    path = _make_case(case, coco_root, tmp_path)
    read = []  # every check happens before any weight is read or allocated
    monkeypatch.setattr(loader, "load_state_into", lambda *a, **k: read.append(1))
    with pytest.raises(loader.CheckpointError) as ei:
        loader.load_coco(path, "fp8_e4m3fn")
    msg = str(ei.value)
    names_file, fragments = ERROR_CASES[case]
    assert msg.split(": ", 1)[0].rstrip("/").endswith(names_file), msg
    for frag in fragments:
        assert frag in msg, f"{frag!r} not in {msg!r}"
    assert read == []


def test_node_turns_checkpoint_errors_into_coco_errors(coco_folder_paths):
    bad = coco_folder_paths / "broken"
    bad.mkdir()
    (bad / "llm_config.json").write_text("{}")
    try:
        assert "broken/" in nodes_ml.list_checkpoints()
        with pytest.raises(CoCoError) as ei:
            nodes_ml.ModelLoader.execute(checkpoint="broken/", weight_dtype="bf16")
    finally:
        shutil.rmtree(bad)
    msg = str(ei.value)
    assert msg.startswith("CoCo_ModelLoader: ") and "ema.safetensors is missing" in msg and "\nFix: " in msg


# ---- through the server -------------------------------------------------------------------------

def test_e2e_convert_then_load_through_the_server(comfy_server, coco_root):
    from harness import execution_error

    dst = comfy_server.models / "coco"
    shutil.copytree(coco_root / "tiny", dst / "e2e_tiny", dirs_exist_ok=True)
    info = comfy_server.object_info("CoCo_ModelLoader")["CoCo_ModelLoader"]
    assert "e2e_tiny/" in info["input"]["required"]["checkpoint"][0] or \
        "e2e_tiny/" in info["input"]["required"]["checkpoint"][1].get("options", [])

    entry = comfy_server.run({"1": {"class_type": "CoCo_ConvertCheckpoint",
                                    "inputs": {"source": "e2e_tiny/", "weight_dtype": "fp8_e4m3fn",
                                               "output_name": "e2e_fp8", "overwrite": True}}})
    assert execution_error(entry) is None, execution_error(entry)
    assert _data_section(dst / "e2e_fp8.safetensors") == _data_section(coco_root / "tiny_fp8.safetensors")

    entry = comfy_server.run({"1": {"class_type": "CoCo_ModelLoader",
                                    "inputs": {"checkpoint": "e2e_fp8.safetensors", "weight_dtype": "fp8_e4m3fn"}},
                              "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
    assert execution_error(entry) is None, execution_error(entry)
    assert "loaded with fp8_e4m3fn" in entry["outputs"]["1"]["text"][0]

    (dst / "e2e_tiny" / "vit_config.json").unlink()
    entry = comfy_server.run({"1": {"class_type": "CoCo_ModelLoader",
                                    "inputs": {"checkpoint": "e2e_tiny/", "weight_dtype": "bf16"}},
                              "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}})
    err = execution_error(entry)
    assert err is not None and "vit_config.json are missing" in err["exception_message"]
    assert HF in err["exception_message"]


def test_production_layout_validates_without_allocating(tmp_path):
    """The production configs and key layout (1,223 tensors, 29.2 GB) pass every check, against a
    sparse file whose header has the production shapes (no data is written or read)."""
    llm = {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
           "num_key_value_heads": 4, "vocab_size": 152064, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
           "max_position_embeddings": 32768, "hidden_act": "silu", "tie_word_embeddings": False,
           "model_type": "qwen2", "torch_dtype": "bfloat16"}
    vit = {"hidden_size": 1152, "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 27,
           "patch_size": 14, "image_size": 980, "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6,
           "model_type": "siglip_vision_model", "num_channels": 3}
    d = tmp_path / "BAGEL-7B-MoT"
    d.mkdir()
    (d / "llm_config.json").write_text(json.dumps(llm))
    (d / "vit_config.json").write_text(json.dumps(vit))
    for name, text in make_tiny.tiny_tokenizer_files().items():
        (d / name).write_text(text)
    shapes = make_tiny.official_shapes(llm, vit, {})
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for k in sorted(shapes):
        n = 2 * int(torch.tensor(shapes[k]).prod())
        header[k] = {"dtype": "BF16", "shape": list(shapes[k]), "data_offsets": [off, off + n]}
        off += n
    raw = json.dumps(header).encode()
    with open(d / "ema.safetensors", "wb") as f:
        f.write(len(raw).to_bytes(8, "little") + raw)
        f.truncate(8 + len(raw) + off)  # sparse: no blocks on disk
    assert off == 14_607_260_128 * 2
    src = loader.open_checkpoint(d)
    cfg = loader.make_config(src)
    assert cfg.max_latent_size == 64 and cfg.vit.num_layers_used == 26 and cfg.vit_max_num_patch_per_side == 70
    loader.check_tensors(src, loader.expected_shapes(cfg))  # raises on any mismatch
    dtypes = convert.target_dtypes(cfg, FP8)
    fp8_bytes = sum(int(torch.tensor(shapes[k]).prod()) * (1 if dt == FP8 else 2) for k, dt in dtypes.items())
    assert 15.0e9 < fp8_bytes < 16.5e9, fp8_bytes  # the converted fp8 file (measured: see the report)
