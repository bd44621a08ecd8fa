import { Controller, Get } from '@nestjs/common';

/** MLflow's capability document (`/api/3.0/mlflow/server-info`), readable without login as in MLflow. */
export interface ServerInfo {
  store_type: string;
  workspaces_enabled: boolean;
  trace_archival_enabled: boolean;
  multipart_uploads_enabled: boolean;
  multipart_downloads_enabled: boolean;
  presigned_upload_run_id_supported: boolean;
  presigned_upload_model_id_supported: boolean;
  features_enabled: { gateway: boolean };
}

/**
 * What the mlflow client (3.x) probes before large artifact transfers. Cairn
 * proxies multipart uploads on both backends, so the client switches to them
 * on its own for files above MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE.
 * Multipart downloads are not advertised: the client would fetch the chunks
 * from presigned store URLs, which a cluster-internal S3 endpoint does not
 * serve to clients; downloads go through the proxy (with Range). No
 * workspaces, trace archival, AI gateway or presigned uploads.
 */
const SERVER_INFO: ServerInfo = {
  store_type: 'SqlStore',
  workspaces_enabled: false,
  trace_archival_enabled: false,
  multipart_uploads_enabled: true,
  multipart_downloads_enabled: false,
  presigned_upload_run_id_supported: false,
  presigned_upload_model_id_supported: false,
  features_enabled: { gateway: false },
};

@Controller(['api/3.0/mlflow', 'ajax-api/3.0/mlflow'])
export class ServerInfoController {
  @Get('server-info')
  serverInfo(): ServerInfo {
    return SERVER_INFO;
  }
}
