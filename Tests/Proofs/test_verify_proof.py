"""Tests of scripts/verify-proof, on proofs made here by a reference implementation of its own.

The trees, paths and proofs below are built straight from RFC 9162 section 2.1 (MTH, PATH,
PROOF/SUBPROOF), over synthetic events whose fields give real leaf inputs and whose chain hashes
follow docs/audit.md. Run from the package root:

    python3 -m unittest Tests/Proofs/test_verify_proof.py

Standard library plus the `openssl` command (Ed25519 keys and signatures). Without openssl the
signature cases are skipped, except under CI=true, where a missing openssl fails the run.
"""
import base64
import copy
import datetime
import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # nothing written next to scripts/verify-proof
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "verify-proof")
EXPORT_SCRIPT = os.path.join(ROOT, "scripts", "verify-export")


def load_script():
    loader = importlib.machinery.SourceFileLoader("verify_proof", SCRIPT)
    spec = importlib.util.spec_from_loader("verify_proof", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


vp = load_script()


# --- The reference implementation (RFC 9162 section 2.1), independent of the script -------------

def sha256(data):
    return hashlib.sha256(data).digest()


def split_point(n):
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) of section 2.1.1 over a tuple of leaf inputs (bytes)."""
    return _mth(tuple(leaves))


@functools.lru_cache(maxsize=None)
def _mth(leaves):
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + leaves[0])
    k = split_point(n)
    return sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:]))


def path(m, leaves):
    """PATH(m, D[n]) of section 2.1.3.1: the inclusion path of leaf m."""
    n = len(leaves)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def proof(m, leaves):
    """PROOF(m, D[n]) of section 2.1.4.1."""
    return subproof(m, leaves, True)


def subproof(m, leaves, b):
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = split_point(n)
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


# --- Synthetic events, tree heads and proofs in the spec's formats --------------------------------

VIETNAM = datetime.timezone(datetime.timedelta(hours=7))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def rfc3339(micros):
    return (EPOCH + datetime.timedelta(microseconds=micros)).astimezone(VIETNAM).isoformat(timespec="microseconds")


def make_events(count):
    events, previous = [], bytes(32)
    versions = {}
    for position in range(1, count + 1):
        if position % 3 == 0:
            stream, event_type = f"application-A{position % 5}", "PaymentRecorded"
            payload = f'{{"method": "bank", "paid_on": "2024-03-15", "voucher": "UNC-{position}", ' \
                      f'"amount_vnd": {1000 * position}, "payment_id": "P-{position}"}}'
        else:
            stream, event_type = f"budget-VT-2024-D{position % 4}", "FundsReserved"
            payload = f'{{"amount_vnd": {5000 * position}, "application_id": "A-{position}", "note": "Nguyễn Văn A"}}'
        versions[stream] = versions.get(stream, 0) + 1
        command_id = f"cmd-{(position + 1) // 2}"
        metadata = f'{{"actor": "alice", "command_id": "{command_id}"}}'
        micros = 1795710277216619 + 1000003 * ((position + 1) // 2)
        event = {"position": position, "stream_id": stream, "stream_version": versions[stream],
                 "event_type": event_type, "schema_version": 1, "recorded_at": rfc3339(micros),
                 "recorded_at_micros": micros, "command_id": command_id, "payload_text": payload,
                 "metadata_text": metadata, "prev_hash": previous.hex()}
        canonical = "\n".join(["ledger-event-v1", str(position), stream, str(event["stream_version"]), event_type,
                               "1", str(micros), payload, metadata])
        previous = sha256(previous + canonical.encode("utf-8"))
        event["hash"] = previous.hex()
        events.append(event)
    return events


def leaf_input(event):
    return "\n".join(["ledger-leaf-v1", str(event["position"]), event["stream_id"], str(event["stream_version"]),
                      event["event_type"], str(event["schema_version"]), str(event["recorded_at_micros"]),
                      event["command_id"], event["payload_text"], event["metadata_text"], event["prev_hash"],
                      event["hash"]])


EVENTS = make_events(64)
LEAVES = tuple(leaf_input(event).encode("utf-8") for event in EVENTS)


class Signer:
    """An Ed25519 key made by openssl, signing the spec's 5-line message."""

    def __init__(self, folder, name):
        self.key = os.path.join(folder, name)
        self.pub = self.key + ".pub"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.key], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout", "-out", self.pub], check=True, capture_output=True)
        with open(self.pub) as handle:
            der = base64.b64decode("".join(handle.read().strip().splitlines()[1:-1]))
        self.key_id = sha256(der[12:]).hex()
        self.folder = folder

    def sign(self, message):
        message_path, signature_path = os.path.join(self.folder, "message"), os.path.join(self.folder, "signature")
        with open(message_path, "wb") as handle:
            handle.write(message.encode("utf-8"))
        subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", self.key, "-rawin", "-in", message_path,
                        "-out", signature_path], check=True, capture_output=True)
        with open(signature_path, "rb") as handle:
            return base64.b64encode(handle.read()).decode("ascii")


def tree_head(size, signer=None):
    taken = 1796630645123456 + size
    head = {"format": "ledger-tree-head-v1", "hash": EVENTS[size - 1]["hash"], "position": size,
            "root_hash": mth(LEAVES[:size]).hex(), "taken_at": rfc3339(taken), "taken_at_micros": taken,
            "tree_size": size}
    if signer is not None:
        message = "\n".join(["ledger-tree-head-v1", str(size), head["root_hash"], head["hash"], str(taken)])
        head["signature"] = {"algorithm": "Ed25519", "key_id": signer.key_id, "value": signer.sign(message)}
    return head


def inclusion(index, size, signer=None, receipt=False):
    document = {"format": "ledger-receipt-v1" if receipt else "ledger-inclusion-proof-v1",
                "event": dict(EVENTS[index]), "leaf_input": LEAVES[index].decode("utf-8"),
                "leaf_hash": sha256(b"\x00" + LEAVES[index]).hex(), "leaf_index": index, "tree_size": size,
                "path": [h.hex() for h in path(index, LEAVES[:size])], "root_hash": mth(LEAVES[:size]).hex(),
                "tree_head": tree_head(size, signer)}
    if receipt:
        document["payment_id"] = json.loads(EVENTS[index]["payload_text"])["payment_id"]
    return document


def consistency(m, n, signer=None):
    return {"format": "ledger-consistency-proof-v1", "old_size": m, "old_root": mth(LEAVES[:m]).hex(),
            "new_size": n, "new_root": mth(LEAVES[:n]).hex(), "path": [h.hex() for h in proof(m, LEAVES[:n])],
            "old_tree_head": tree_head(m, signer), "new_tree_head": tree_head(n, signer)}


def flip(hex_text, at=0):
    """The hex text with one byte changed."""
    data = bytearray(bytes.fromhex(hex_text))
    data[at] ^= 0x01
    return data.hex()


# --- The tests -----------------------------------------------------------------------------------

class ReferenceTests(unittest.TestCase):
    RFC_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    RFC_ROOTS = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    def test_rfc_test_vector_roots_and_the_scripts_path_checks_on_them(self):
        leaves = tuple(bytes.fromhex(leaf) for leaf in self.RFC_LEAVES)
        self.assertEqual(mth(()).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for n in range(1, 9):
            root = mth(leaves[:n])
            self.assertEqual(root.hex(), self.RFC_ROOTS[n - 1], f"size {n}")
            for m in range(n):
                leaf = sha256(b"\x00" + leaves[m])
                self.assertEqual(vp.root_from_inclusion(m, n, leaf, path(m, leaves[:n])), root, f"leaf {m} of {n}")
            for m in range(1, n + 1):
                old = mth(leaves[:m])
                self.assertEqual(vp.roots_from_consistency(m, n, old, proof(m, leaves[:n])), (old, root), f"{m} → {n}")

    def test_the_worked_example_of_docs_audit(self):
        first = {"position": 1, "stream_id": "application-A1", "stream_version": 1, "event_type": "ApplicationSubmitted",
                 "schema_version": 1, "recorded_at": "2026-11-26 16:24:37.216619+00", "recorded_at_micros": 1795710277216619,
                 "command_id": "cmd-1", "payload_text": '{"applicant": "Nguyễn Văn A", "amount_vnd": 5000000}',
                 "metadata_text": '{"actor": "alice", "command_id": "cmd-1", "correlation_id": "c-1"}',
                 "prev_hash": "00" * 32, "hash": "42ec415c07c792d37624c92d73bc88aed9913cf4401158b994dbcb2164fd6c1d"}
        second = dict(first, position=2, stream_id="budget-VT-2023-D1", event_type="BudgetReserved",
                      recorded_at="2026-11-26T23:24:37.216619+07:00", payload_text='{"amount_vnd": 5000000}',
                      metadata_text='{"actor": "alice", "command_id": "cmd-1"}', prev_hash=first["hash"],
                      hash="9fa2a75139e2410fbb150f1e8533f29f9046c864b658a3b0623ed1c8b28199ae")
        leaves = tuple(leaf_input(event).encode("utf-8") for event in (first, second))
        for event in (first, second):
            self.assertEqual(vp.check_event(event), leaf_input(event).split("\n")[1:])
        self.assertEqual(sha256(b"\x00" + leaves[0]).hex(), "b77abb2cd1765e2079429a1904f56f7523e80ef4f5b0f556382456e489362cf3")
        self.assertEqual(sha256(b"\x00" + leaves[1]).hex(), "77ef247cd1725dec52a7ba15e75cddbf88e3b2fe8f6c113f960f8f6ccf4d95ed")
        self.assertEqual(mth(leaves).hex(), "ec333f8e2ce6481972316c8d9c662bba0520853329f3195fd1579f98eb0b66bd")

    def test_the_python_of_docs_audit_checking_a_proof_verifies_every_proof_up_to_24(self):
        with open(os.path.join(ROOT, "docs", "audit.md"), encoding="utf-8") as handle:
            page = handle.read()
        section = page[page.index("### Checking a proof"):]
        code = section[section.index("```python\n") + 10:section.index("```\n", section.index("```python\n") + 10)]
        documented = {}
        exec(code, documented)
        for n in range(1, 25):
            root = mth(LEAVES[:n])
            for m in range(n):
                leaf = sha256(b"\x00" + LEAVES[m])
                self.assertEqual(documented["inclusion_root"](m, n, leaf, path(m, LEAVES[:n])), root)
            for m in range(1, n + 1):
                old = mth(LEAVES[:m])
                self.assertEqual(documented["consistency_roots"](m, n, old, proof(m, LEAVES[:n])), (old, root))

    def test_recorded_at_forms(self):
        micros = 1795710277216619
        for text in ("2026-11-26T23:24:37.216619+07:00", "2026-11-26 16:24:37.216619+00", "2026-11-26T16:24:37.216619Z"):
            self.assertEqual(vp.instant_micros(text), micros, text)
        self.assertEqual(vp.instant_micros("2026-11-26 16:24:37.2166+00"), micros - 19)
        self.assertEqual(vp.instant_micros("2026-11-26 16:24:37+00"), micros - 216619)
        for text in ("2026-11-26", "26/11/2026 16:24:37", "٢٠٢٦-11-26T23:24:37+07:00", "2026-11-26T23:24:37.216619", "2026-02-30T00:00:00+07:00"):
            self.assertIsNone(vp.instant_micros(text), text)


class SweepTests(unittest.TestCase):
    """Every size from 1 to 64, through the script's verify() (no subprocess: this is the fast path)."""

    def test_every_inclusion_proof_up_to_64_verifies_and_a_changed_sibling_does_not(self):
        for size in range(1, 65):
            for index in range(size):
                document = inclusion(index, size)
                facts = vp.verify(document)
                root = mth(LEAVES[:size]).hex()
                self.assertTrue(facts[1].startswith(f"included: position {index + 1} ("), facts[1])
                self.assertTrue(facts[1].endswith(f" in the tree of {size} event{'s' * (size != 1)}, "
                                                  f"root {root[:4]}…{root[-4:]}"), facts[1])
                if document["path"]:
                    document["path"][-1] = flip(document["path"][-1])
                    with self.assertRaisesRegex(vp.NotValid, "the path does not lead to the root"):
                        vp.verify(document)

    def test_every_consistency_proof_up_to_64_verifies_and_a_changed_hash_does_not(self):
        for n in range(1, 65):
            for m in range(1, n + 1):
                document = consistency(m, n)
                facts = vp.verify(document)
                self.assertTrue(facts[0].startswith(f"consistent: the tree of {n} event{'s' * (n != 1)} "), facts[0])
                self.assertIn(f"extends the tree of {m} event{'s' * (m != 1)} ", facts[0])
                if document["path"]:
                    document["path"][0] = flip(document["path"][0])
                    with self.assertRaisesRegex(vp.NotValid, "the path does not lead to the roots"):
                        vp.verify(document)

    def test_a_proof_for_a_different_leaf_or_size_is_refused(self):
        document = inclusion(4, 13)
        document["path"] = inclusion(5, 13)["path"]
        with self.assertRaisesRegex(vp.NotValid, "the path does not lead to the root"):
            vp.verify(document)
        relabelled = inclusion(3, 7)
        relabelled["tree_size"] = 8
        with self.assertRaisesRegex(vp.NotValid, "proof is for tree size 8 but the tree head is size 7"):
            vp.verify(relabelled)
        old = consistency(5, 9)
        old["path"] = consistency(6, 9)["path"]
        with self.assertRaises(vp.NotValid):
            vp.verify(old)


class CommandLineTests(unittest.TestCase):
    """The script as an auditor runs it: exit status, stdout, the reasons."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.mkdtemp(prefix="verify-proof-")
        cls.signer = cls.stranger = None
        if shutil.which("openssl") is None:
            if os.environ.get("CI") == "true":
                raise AssertionError("openssl is not installed: the signature tests cannot run (CI=true); run `make deps` (scripts/install-deps)")
            return
        cls.signer = Signer(cls.folder, "ledger.key")
        cls.stranger = Signer(cls.folder, "stranger.key")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.folder, ignore_errors=True)

    def need_openssl(self):
        if self.signer is None:
            self.skipTest("openssl is not installed")

    def run_script(self, document, *arguments):
        target = os.path.join(self.folder, "proof.json")
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(document if isinstance(document, str) else json.dumps(document, indent=2, sort_keys=True))
        run = subprocess.run([sys.executable, SCRIPT, target, *arguments], capture_output=True, text=True)
        return run.returncode, run.stdout + run.stderr

    def write(self, name, document):
        target = os.path.join(self.folder, name)
        with open(target, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        return target

    def assertRefused(self, document, reason, *arguments):
        status, output = self.run_script(document, *arguments)
        self.assertEqual(status, 1, output)
        self.assertIn(f"NOT VALID: ", output)
        self.assertIn(reason, output)

    def test_a_signed_receipt_verifies_with_its_key_and_says_what_it_proved(self):
        self.need_openssl()
        receipt = inclusion(41, 64, self.signer, receipt=True)
        status, output = self.run_script(receipt, "--public-key", self.signer.pub)
        self.assertEqual(status, 0, output)
        root = mth(LEAVES).hex()
        self.assertIn(f"included: position 42 (PaymentRecorded, stream application-A2) in the tree of 64 events, "
                      f"root {root[:4]}…{root[-4:]}", output)
        self.assertIn(f"signed by key {self.signer.key_id[:4]}…", output)
        self.assertIn("receipt: payment P-42", output)
        status, output = self.run_script(receipt)
        self.assertEqual(status, 0, output)
        self.assertIn("signature: not checked (no --public-key)", output)

    def test_tampered_inclusion_proofs_are_refused_with_the_reason(self):
        proof_document = inclusion(6, 13)
        payload = copy.deepcopy(proof_document)
        payload["event"]["payload_text"] = payload["event"]["payload_text"].replace("35000", "35001")
        self.assertRefused(payload, "event hash does not match its fields: position 7")

        # The payload changed and the event's chain hash recomputed: the leaf input gives it away.
        rehashed = copy.deepcopy(payload)
        event = rehashed["event"]
        canonical = "\n".join(["ledger-event-v1", "7", event["stream_id"], str(event["stream_version"]),
                               event["event_type"], "1", str(event["recorded_at_micros"]), event["payload_text"],
                               event["metadata_text"]])
        event["hash"] = sha256(bytes.fromhex(event["prev_hash"]) + canonical.encode()).hex()
        self.assertRefused(rehashed, "the leaf input is not the event's fields (line 9, payload)")
        # ... and with a new leaf input and leaf hash too, the path no longer leads to the root.
        rehashed["leaf_input"] = leaf_input(event)
        rehashed["leaf_hash"] = sha256(b"\x00" + leaf_input(event).encode()).hex()
        self.assertRefused(rehashed, "the path does not lead to the root")

        sibling = copy.deepcopy(proof_document)
        sibling["path"][1] = flip(sibling["path"][1], at=17)
        self.assertRefused(sibling, "the path does not lead to the root")

        root = copy.deepcopy(proof_document)
        root["root_hash"] = flip(root["root_hash"], at=31)
        self.assertRefused(root, "the proof's root_hash")
        root["tree_head"]["root_hash"] = root["root_hash"]
        self.assertRefused(root, "the path does not lead to the root")

        relabelled = copy.deepcopy(proof_document)
        relabelled["tree_size"] = 14
        self.assertRefused(relabelled, "proof is for tree size 14 but the tree head is size 13")
        relabelled["tree_head"] = tree_head(14)
        relabelled["root_hash"] = relabelled["tree_head"]["root_hash"]
        self.assertRefused(relabelled, "the path does not lead to the root")

        recorded = copy.deepcopy(proof_document)
        recorded["event"]["recorded_at"] = rfc3339(recorded["event"]["recorded_at_micros"] + 3_600_000_000)
        self.assertRefused(recorded, "is not the instant of recorded_at_micros")
        micros = copy.deepcopy(proof_document)
        micros["event"]["recorded_at_micros"] += 1
        self.assertRefused(micros, "event hash does not match its fields")

        line_feed = copy.deepcopy(proof_document)
        line_feed["event"]["payload_text"] = line_feed["event"]["payload_text"].replace(", ", ",\n", 1)
        self.assertRefused(line_feed, "event.payload_text holds a raw line feed")

        command = copy.deepcopy(proof_document)
        command["event"]["command_id"] = "cmd-999"
        self.assertRefused(command, "is not the metadata's command_id")
        index = copy.deepcopy(proof_document)
        index["leaf_index"] = 7
        self.assertRefused(index, "leaf_index 7 is not the event's position 7 − 1")
        leaf = copy.deepcopy(proof_document)
        leaf["leaf_hash"] = flip(leaf["leaf_hash"])
        self.assertRefused(leaf, "leaf_hash is not SHA-256(0x00 || leaf_input)")

    def test_signatures_wrong_key_bad_signature_and_unsigned_receipts_are_refused(self):
        self.need_openssl()
        receipt = inclusion(2, 9, self.signer, receipt=True)
        self.assertRefused(receipt, f"signed by key {self.signer.key_id}, not by PUB ({self.stranger.key_id})",
                           "--public-key", self.stranger.pub)
        forged = copy.deepcopy(receipt)
        signature = bytearray(base64.b64decode(forged["tree_head"]["signature"]["value"]))
        signature[5] ^= 0x40
        forged["tree_head"]["signature"]["value"] = base64.b64encode(bytes(signature)).decode()
        self.assertRefused(forged, "the tree head's signature does not verify", "--public-key", self.signer.pub)
        moved = copy.deepcopy(receipt)
        moved["tree_head"]["taken_at_micros"] += 1
        self.assertRefused(moved, "the tree head's signature does not verify", "--public-key", self.signer.pub)

        unsigned = inclusion(2, 9, receipt=True)
        self.assertRefused(unsigned, "a receipt's tree head must be signed")
        self.assertRefused(unsigned, "is not signed, and --public-key asks for a signature", "--public-key", self.signer.pub)
        other = copy.deepcopy(receipt)
        other["payment_id"] = "P-6"
        self.assertRefused(other, "the event is not payment P-6's")
        not_payment = inclusion(3, 9, self.signer, receipt=False)
        not_payment["format"], not_payment["payment_id"] = "ledger-receipt-v1", "P-4"
        self.assertRefused(not_payment, "a receipt's event must be PaymentRecorded, not FundsReserved")

        consistency_document = consistency(5, 40, self.signer)
        status, output = self.run_script(consistency_document, "--public-key", self.signer.pub)
        self.assertEqual(status, 0, output)
        self.assertIn("consistent: the tree of 40 events", output)
        self.assertRefused(consistency_document, "signed by key", "--public-key", self.stranger.pub)
        status, output = self.run_script(tree_head(40, self.signer), "--public-key", self.signer.pub)
        self.assertEqual(status, 0, output)
        self.assertIn("tree head: 40 events", output)
        self.assertRefused(tree_head(40, self.signer), "signed by key", "--public-key", self.stranger.pub)

    def test_consistency_refusals(self):
        document = consistency(6, 20)
        self.assertEqual(self.run_script(document)[0], 0)
        changed = copy.deepcopy(document)
        changed["path"][2] = flip(changed["path"][2], at=9)
        self.assertRefused(changed, "the path does not lead to the roots")
        rewritten = copy.deepcopy(document)
        rewritten["old_root"] = rewritten["old_tree_head"]["root_hash"] = flip(rewritten["old_root"])
        self.assertRefused(rewritten, "the path does not lead to the roots")
        relabelled = copy.deepcopy(document)
        relabelled["new_size"] = 21
        self.assertRefused(relabelled, "proof is for new tree size 21 but the new tree head is size 20")
        backwards = consistency(6, 20)
        backwards["old_size"], backwards["new_size"] = 20, 6
        self.assertRefused(backwards, "old_size 20 is larger than new_size 6")

    def test_the_kept_digest_must_be_the_proofs_head(self):
        proof_document = inclusion(10, 30)
        kept = self.write("kept.json", tree_head(30))
        status, output = self.run_script(proof_document, "--digest", kept)
        self.assertEqual(status, 0, output)
        self.assertIn("digest: the kept tree head (size 30", output)
        old_digest = self.write("old.digest", {"hash": EVENTS[29]["hash"], "position": 30, "taken_at": "2026-11-29 17:44:25.254011+00"})
        self.assertEqual(self.run_script(proof_document, "--digest", old_digest)[0], 0)
        self.assertRefused(proof_document, "is not the proof's tree head", "--digest", self.write("other.json", tree_head(31)))
        stale = self.write("stale.digest", {"hash": EVENTS[28]["hash"], "position": 29})
        self.assertRefused(proof_document, "the kept digest (position 29", "--digest", stale)

        document = consistency(12, 30)
        for size in (12, 30):
            status, output = self.run_script(document, "--digest", self.write("head.json", tree_head(size)))
            self.assertEqual(status, 0, output)
        self.assertRefused(document, "is neither the old nor the new tree head", "--digest", self.write("head.json", tree_head(13)))

    def test_usage_and_unreadable_input_exit_2(self):
        self.assertEqual(subprocess.run([sys.executable, SCRIPT], capture_output=True).returncode, 2)
        self.assertEqual(self.run_script("not json")[0], 2)
        self.assertEqual(self.run_script({"format": "something-else"})[0], 2)
        status, output = self.run_script({"hash": EVENTS[0]["hash"], "position": 1})
        self.assertEqual(status, 2)
        self.assertIn("older digest", output)
        self.assertEqual(self.run_script(inclusion(0, 1), "--public-key", self.write("not-a-key.pub", {}))[0], 2)
        self.assertEqual(self.run_script(inclusion(0, 1), "--frobnicate")[0], 2)
        self.assertEqual(self.run_script(inclusion(0, 1), "--digest", os.path.join(self.folder, "missing"))[0], 2)


class VerifyExportRecordedAtTests(unittest.TestCase):
    """scripts/verify-export checks each line's recorded_at against the hashed recorded_at_micros."""

    def run_export(self, events):
        with tempfile.TemporaryDirectory() as folder:
            target = os.path.join(folder, "export.ndjson")
            with open(target, "w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(event, ensure_ascii=False) + "\n" for event in events)
            run = subprocess.run([sys.executable, EXPORT_SCRIPT, target], capture_output=True, text=True)
        return run.returncode, run.stdout + run.stderr

    def test_both_forms_are_read_and_a_changed_or_unreadable_time_is_refused(self):
        events = [dict(event) for event in EVENTS[:8]]
        status, output = self.run_export(events)
        self.assertEqual(status, 0, output)
        utc = EPOCH + datetime.timedelta(microseconds=events[4]["recorded_at_micros"])
        events[4]["recorded_at"] = utc.strftime("%Y-%m-%d %H:%M:%S.%f+00")  # exports written before issue 12
        status, output = self.run_export(events)
        self.assertEqual(status, 0, output)
        events[4]["recorded_at"] = rfc3339(events[4]["recorded_at_micros"] - 86_400_000_000)
        status, output = self.run_export(events)
        self.assertEqual(status, 1, output)
        self.assertIn("NOT INTACT: line 5, position 5: recorded_at ", output)
        self.assertIn("is not the instant of recorded_at_micros", output)
        events[4]["recorded_at"] = "26/11/2026"
        status, output = self.run_export(events)
        self.assertEqual(status, 1, output)
        self.assertIn("line 5, position 5: recorded_at '26/11/2026' is not an RFC 3339 time", output)


if __name__ == "__main__":
    unittest.main()
