// C++ client: read event files with ROOT alone (no dictionaries, no PyROOT).
//
//   root -l -b -q 'digest.C("LIST", "OUTDIR")'
//
// LIST: one event file per line.  For file number i this writes
// OUTDIR/i.digest, one line per branch of the `events` and `run` trees:
//     tree  branch  leaf-type  entries  digest
// with digest = sum over entries j of bits_j * (2 j + 1) modulo 2^64, where
// bits_j is the value's bit pattern as an unsigned integer of its size; and
// OUTDIR/i.NAME for each TObjString NAME (metadata, units, descriptions),
// holding the string as ROOT reads it.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "TBranch.h"
#include "TFile.h"
#include "TLeaf.h"
#include "TObjString.h"
#include "TTree.h"

static void digestTree(TFile &f, const char *name, std::ofstream &out)
{
   TTree *t = nullptr;
   f.GetObject(name, t);
   if (!t) return;
   auto *branches = t->GetListOfBranches();
   const int nb = branches->GetEntries();
   std::vector<uint64_t> buf(nb, 0), sum(nb, 0);
   std::vector<int> size(nb, 0);
   std::vector<std::string> type(nb);
   t->SetBranchStatus("*", 1);
   for (int b = 0; b < nb; ++b) {
      auto *br = static_cast<TBranch *>(branches->At(b));
      TLeaf *leaf = br->GetLeaf(br->GetName());
      size[b] = leaf->GetLenType();
      type[b] = leaf->GetTypeName();
      t->SetBranchAddress(br->GetName(), static_cast<void *>(&buf[b])); // raw bytes: no type check
   }
   const Long64_t n = t->GetEntries();
   for (Long64_t j = 0; j < n; ++j) {
      t->GetEntry(j);
      const uint64_t odd = 2 * static_cast<uint64_t>(j) + 1;
      for (int b = 0; b < nb; ++b) {
         uint64_t bits = 0;
         if (size[b] == 8) {
            bits = buf[b];
         } else if (size[b] == 4) {
            uint32_t v;
            std::memcpy(&v, &buf[b], 4);
            bits = v;
         } else if (size[b] == 2) {
            uint16_t v;
            std::memcpy(&v, &buf[b], 2);
            bits = v;
         } else {
            uint8_t v;
            std::memcpy(&v, &buf[b], 1);
            bits = v;
         }
         sum[b] += bits * odd;
      }
   }
   for (int b = 0; b < nb; ++b)
      out << name << '\t' << branches->At(b)->GetName() << '\t' << type[b] << '\t' << n << '\t'
          << sum[b] << '\n';
   t->ResetBranchAddresses();
}

void digest(const char *list, const char *outdir)
{
   std::ifstream in(list);
   std::string path;
   for (int i = 0; std::getline(in, path); ++i) {
      if (path.empty()) continue;
      std::unique_ptr<TFile> f(TFile::Open(path.c_str()));
      if (!f || f->IsZombie()) {
         printf("cannot open %s\n", path.c_str());
         gSystem->Exit(1);
      }
      std::string stem = std::string(outdir) + "/" + std::to_string(i);
      std::ofstream out(stem + ".digest");
      digestTree(*f, "events", out);
      digestTree(*f, "run", out);
      for (const char *key : {"metadata", "units", "descriptions"}) {
         TObjString *s = nullptr;
         f->GetObject(key, s);
         if (!s) continue;
         std::ofstream txt(stem + "." + key, std::ios::binary);
         txt << s->GetString().Data();
      }
   }
}
