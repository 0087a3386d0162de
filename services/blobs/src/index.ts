export {
  FilesystemBlobStorage,
  type FilesystemBlobStorageOptions,
} from "./filesystem/filesystem-blob-storage";
